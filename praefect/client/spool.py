"""The spool: batches a praefect server has not acknowledged, kept on disk until it does.

While the server is unreachable, the HTTP client's writer puts each batch request (its path and
JSON body) in one file under ``$PRAEFECT_HOME/spool/<url key>/``, and a daemon thread delivers the
files oldest first once the server answers again. A file is written whole (temporary name, then
rename) and deleted only after the server acknowledged it, so a batch survives a crash of the
process that spooled it; the next process using the same API URL delivers what is left. A file
being delivered is claimed by renaming it, so two processes never send the same batch.

>>> import tempfile
>>> spool = Spool(Path(tempfile.mkdtemp()), max_bytes=1 << 20)
>>> spool.put("/logs/", b"[]", 0)
True
>>> claimed = spool.claim()
>>> claimed.path, claimed.body
('/logs/', b'[]')
>>> spool.done(claimed)
>>> spool.pending()
0
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["Claimed", "Spool", "SpoolDeliverer"]

_logger = logging.getLogger("praefect.client")
_SUFFIX = ".batch"
_SENDING = ".sending"


@dataclasses.dataclass(frozen=True)
class Claimed:
    """A spooled batch taken for delivery (renamed so no other process takes it)."""

    file: Path
    """The claimed file (``<name>.batch.<pid>.sending``)."""
    path: str
    """The API path the batch is posted to, relative to the API URL."""
    body: bytes
    """The JSON body."""
    count: int
    """How many records the batch holds (for messages)."""
    own: bool
    """Whether this process spooled it."""


class Spool:
    """The spooled batches of one API URL in ``directory`` (bounded by ``max_bytes``)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        """Largest total size of the spooled files; ``put`` refuses a batch past it."""
        self._lock = threading.Lock()
        self._own: set[str] = set()
        self._seq = 0
        self._bytes: int | None = None
        self._pid = os.getpid()

    def _scan(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX))
        except FileNotFoundError:
            return []

    def has_files(self) -> bool:
        """Whether any batch waits in the directory (this process's or another's)."""
        self._reclaim_orphans()
        return bool(self._scan())

    def pending(self) -> int:
        """How many batches this process spooled that the server has not acknowledged yet."""
        return len(self._own)

    def put(self, path: str, body: bytes, count: int) -> bool:
        """Write a batch to disk; False (nothing written) when the spool is full."""
        with self._lock:
            if self._bytes is None:
                self._bytes = (
                    sum(_size(p) for p in self.directory.glob("*"))
                    if self.directory.exists()
                    else 0
                )
            size = len(body) + len(path) + 32
            if self._bytes + size > self.max_bytes:
                return False
            self.directory.mkdir(parents=True, exist_ok=True)
            self._seq += 1
            # time first: names sort in the order batches were spooled, across processes too
            name = f"{time.time_ns():020d}-{self._pid}-{self._seq:08d}{_SUFFIX}"
            tmp = self.directory / f".{name}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(f"{path}\n{count}\n".encode())
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.directory / name)
            self._own.add(name)
            self._bytes += size
            return True

    def claim(self) -> Claimed | None:
        """Take the oldest batch for delivery, or None when the spool is empty."""
        for file in self._scan():
            target = file.with_name(f"{file.name}.{self._pid}{_SENDING}")
            try:
                os.replace(file, target)
            except FileNotFoundError:
                continue  # another process took it
            try:
                path, count, body = target.read_bytes().split(b"\n", 2)
                return Claimed(target, path.decode(), body, int(count), file.name in self._own)
            except (OSError, ValueError):  # not ours to read (a partial copy, say): set aside
                _logger.error("Unreadable spool file %s set aside as .bad.", file)
                os.replace(target, file.with_name(f"{file.name}.bad"))
                self._own.discard(file.name)
        return None

    def done(self, claimed: Claimed) -> None:
        """The server acknowledged ``claimed``: forget it."""
        with self._lock:
            try:
                size = _size(claimed.file)
                claimed.file.unlink()
            except FileNotFoundError:
                size = 0
            name = claimed.file.name.split(_SUFFIX)[0] + _SUFFIX
            self._own.discard(name)
            if self._bytes is not None:
                self._bytes = max(0, self._bytes - size)

    def release(self, claimed: Claimed) -> None:
        """Delivery failed: put ``claimed`` back, to be tried again."""
        name = claimed.file.name.split(_SUFFIX)[0] + _SUFFIX
        try:
            os.replace(claimed.file, claimed.file.with_name(name))
        except FileNotFoundError:
            pass

    def _reclaim_orphans(self) -> None:
        # a process killed while delivering leaves its claimed file behind
        try:
            files = [p for p in self.directory.iterdir() if p.name.endswith(_SENDING)]
        except FileNotFoundError:
            return
        for file in files:
            try:
                pid = int(file.name.rsplit(".", 2)[-2])
            except ValueError:
                continue
            if pid != self._pid and not _pid_alive(pid):
                name = file.name.split(_SUFFIX)[0] + _SUFFIX
                try:
                    os.replace(file, file.with_name(name))
                except FileNotFoundError:
                    pass


class SpoolDeliverer:
    """A daemon thread delivering a ``Spool`` through ``send(path, body)``.

    ``send`` returns True when the server acknowledged the batch, False when it could not be
    reached (the batch is tried again after a backoff with jitter, or ``retry_after`` seconds
    when the server said so), and raises when the server refused it for good (the batch is
    dropped with an error: sending it again would not help).
    """

    def __init__(
        self,
        spool: Spool,
        send: Callable[[str, bytes], bool],
        url: str,
        max_delay: float = 5.0,
    ) -> None:
        self.spool = spool
        self.url = url
        self.max_delay = max_delay
        self.retry_after: float | None = None
        """Set by ``send`` when the server asked to wait (``Retry-After``)."""
        self._send = send
        self._kick = threading.Event()
        self._passed = threading.Condition()
        self._passes = 0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._idle = False
        self.delivered = 0
        """Batches delivered by this deliverer."""
        self.dropped = 0
        """Records the server refused for good."""

    def start(self) -> None:
        """Start the thread if it is not running (idempotent)."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="praefect-spool", daemon=True
                )
                self._thread.start()

    def notify(self) -> None:
        """A batch was spooled: start delivering (the thread sleeps when the spool is empty)."""
        self.start()
        if self._idle:
            self._kick.set()

    def deliver_now(self, timeout: float) -> bool:
        """Ask for a delivery attempt now and wait (up to ``timeout``) for it to finish; True if
        this process's spooled batches are all delivered."""
        if self.spool.pending() == 0:
            return True
        self.start()
        with self._passed:
            target = self._passes + 1
            self._kick.set()
            self._passed.wait_for(lambda: self._passes >= target, timeout)
        return self.spool.pending() == 0

    def close(self, timeout: float) -> None:
        """Try to deliver what is left for up to ``timeout`` seconds, then stop."""
        deadline = time.monotonic() + timeout
        while self.spool.pending() and time.monotonic() < deadline:
            if self.deliver_now(max(0.0, deadline - time.monotonic())):
                break
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        self._closed = True
        self._kick.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)  # an attempt in flight puts its batch back first
        left = self.spool.pending()
        if left:
            _logger.warning(
                "%d batch(es) of run records could not be delivered to %s and stay in %s; the"
                " next praefect process using this API URL delivers them.",
                left,
                self.url,
                self.spool.directory,
            )

    def _run(self) -> None:
        delay = 0.2
        while not self._closed:
            outcome = self._deliver_all()
            with self._passed:
                self._passes += 1
                self._passed.notify_all()
            if outcome is True:
                delay = 0.2
                # idle before looking: a batch spooled after the look then finds us idle
                self._idle = True
                if not self.spool.has_files():
                    self._kick.wait()
                self._idle = False
                self._kick.clear()
                continue
            wait = self.retry_after if self.retry_after is not None else delay
            wait *= random.uniform(0.8, 1.2)
            self.retry_after = None
            delay = min(delay * 2, self.max_delay)
            self._kick.wait(wait)
            self._kick.clear()

    def _deliver_all(self) -> bool:
        """Deliver batches until the spool is empty (True) or the server fails (False)."""
        delivered_before = self.delivered
        while True:
            claimed = self.spool.claim()
            if claimed is None:
                if self.delivered > delivered_before:
                    _logger.info(
                        "The praefect server at %s is back: delivered %d spooled batch(es).",
                        self.url,
                        self.delivered - delivered_before,
                    )
                return True
            try:
                ok = self._send(claimed.path, claimed.body)
            except Exception as exc:
                self.dropped += claimed.count
                _logger.error(
                    "The praefect server at %s refused a spooled batch of %d record(s) (%s);"
                    " it is dropped.",
                    self.url,
                    claimed.count,
                    exc,
                )
                self.spool.done(claimed)
                continue
            if not ok:
                self.spool.release(claimed)
                return False
            self.delivered += 1
            self.spool.done(claimed)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
