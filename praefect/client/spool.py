"""The spool: batches a praefect server has not acknowledged, kept on disk until it does.

While the server is unreachable, the HTTP client's writer puts each batch request (its path and
JSON body) in one file under ``$PRAEFECT_HOME/spool/<url key>/``, and a daemon thread delivers the
files oldest first once the server answers again. A file is written whole (temporary name, then
rename) and deleted only after the server acknowledged it, so a batch survives a crash of the
process that spooled it; the next process using the same API URL delivers what is left, as do a
worker on the same home and ``praefect spool deliver``. A file being delivered is claimed by
renaming it, so two processes never send the same batch. The directory's ``url`` file names the
API URL its batches go to. A batch the server refuses for good (a 4xx) is set aside as
``<name>.refused``, never deleted; one that meets a server error goes to the back of the queue.

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

from praefect.utilities import processes

__all__ = [
    "URL_FILE",
    "Claimed",
    "ServerError",
    "Spool",
    "SpoolDeliverer",
    "batch_records",
    "directories",
]

_logger = logging.getLogger("praefect.client")
_SUFFIX = ".batch"
_SENDING = ".sending"
_REFUSED = ".refused"
URL_FILE = "url"
"""The file of a spool directory naming the API URL its batches go to."""


def batch_records(file: Path) -> int:
    """How many records a spooled batch file holds (0 if it cannot be read)."""
    try:
        with open(file, "rb") as handle:
            handle.readline()
            return int(handle.readline() or 0)
    except (OSError, ValueError):
        return 0


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

    def __init__(self, directory: Path, max_bytes: int, url: str | None = None) -> None:
        self.directory = directory
        self.url = url
        """The API URL the batches go to (written to the directory's ``url`` file)."""
        self.max_bytes = max_bytes
        """Largest total size of the spooled files; ``put`` refuses a batch past it."""
        self._lock = threading.Lock()
        self._own: dict[str, int] = {}  # file name: records
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

    def pending_records(self) -> int:
        """How many records the batches of ``pending()`` hold."""
        return sum(self._own.values())

    def waiting(self) -> tuple[int, int]:
        """``(batches, records)`` waiting in the directory, whoever spooled them (claimed ones
        included)."""
        try:
            files = [p for p in self.directory.iterdir() if _SUFFIX in p.name]
        except FileNotFoundError:
            return 0, 0
        files = [p for p in files if p.name.endswith((_SUFFIX, _SENDING))]
        return len(files), sum(batch_records(p) for p in files)

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
            if self.url is not None and not (self.directory / URL_FILE).exists():
                (self.directory / URL_FILE).write_text(self.url + "\n")
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
            self._own[name] = count
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
                self._own.pop(file.name, None)
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
            self._own.pop(name, None)
            if self._bytes is not None:
                self._bytes = max(0, self._bytes - size)

    def release(self, claimed: Claimed) -> None:
        """Delivery failed: put ``claimed`` back, to be tried again."""
        name = claimed.file.name.split(_SUFFIX)[0] + _SUFFIX
        try:
            os.replace(claimed.file, claimed.file.with_name(name))
        except FileNotFoundError:
            pass

    def defer(self, claimed: Claimed) -> None:
        """The server failed on ``claimed`` (a 5xx): put it back at the end of the queue, so
        one batch the server cannot take does not hold up the others."""
        old = claimed.file.name.split(_SUFFIX)[0] + _SUFFIX
        name = f"{time.time_ns():020d}-{self._pid}-{old.split('-', 1)[1]}"
        try:
            os.replace(claimed.file, claimed.file.with_name(name))
        except FileNotFoundError:
            return
        with self._lock:
            count = self._own.pop(old, None)
            if count is not None:
                self._own[name] = count

    def refuse(self, claimed: Claimed) -> Path:
        """The server refused ``claimed`` for good (a 4xx): set it aside as ``.refused`` (kept
        for a person to look at, never sent again) and return its new path."""
        name = claimed.file.name.split(_SUFFIX)[0] + _SUFFIX
        target = claimed.file.with_name(name + _REFUSED)
        try:
            os.replace(claimed.file, target)
        except FileNotFoundError:
            pass
        with self._lock:
            self._own.pop(name, None)
        return target

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
            if pid != self._pid and not processes.pid_alive(pid):
                name = file.name.split(_SUFFIX)[0] + _SUFFIX
                try:
                    os.replace(file, file.with_name(name))
                except FileNotFoundError:
                    pass


class ServerError(Exception):
    """``send`` met a server error (a 5xx): the batch goes to the back of the queue."""


class SpoolDeliverer:
    """A daemon thread delivering a ``Spool`` through ``send(path, body)``.

    ``send`` returns True when the server acknowledged the batch, False when it could not be
    reached (the batch is tried again after a backoff with jitter, or ``retry_after`` seconds
    when the server said so), raises ``ServerError`` when the server failed on it (the batch
    goes to the back of the queue and is tried again after the backoff), and raises another
    error when the server refused it for good (the batch is set aside as ``.refused`` with an
    error: sending it again would not help).
    """

    def __init__(
        self,
        spool: Spool,
        send: Callable[[str, bytes], bool],
        url: str,
        max_delay: float = 5.0,
        poll: float | None = None,
    ) -> None:
        self.spool = spool
        self.url = url
        self.max_delay = max_delay
        self.poll = poll
        """Seconds between looks at the directory while it is empty (batches other processes
        spool); None: look only when this process spools one. Long-lived processes (a worker)
        set it."""
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
        """Records the server refused for good (set aside as ``.refused``)."""
        self.delivered_records = 0
        """Records in the batches delivered by this deliverer."""

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
                "%d run record(s) could not be delivered to the praefect server at %s and stay"
                " in %s: `praefect spool deliver` delivers them (as does the next praefect"
                " process using this API URL, or a worker with the same PRAEFECT_HOME).",
                self.spool.pending_records(),
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
                    self._kick.wait(self.poll)
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
        return self.deliver_all()

    def deliver_all(self, progress: Callable[[int], None] | None = None) -> bool:
        """Deliver batches, oldest first, until the spool is empty (True) or the server cannot
        take one now (False); ``progress`` is called with the record count of each batch
        delivered."""
        delivered_before = self.delivered
        self.spool.has_files()  # takes back the batches of a process killed while sending them
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
            except ServerError as exc:
                _logger.warning(
                    "The praefect server at %s failed on a spooled batch of %d record(s) (%s);"
                    " it stays in the spool and is tried again later.",
                    self.url,
                    claimed.count,
                    exc,
                )
                self.spool.defer(claimed)
                return False
            except Exception as exc:
                self.dropped += claimed.count
                kept = self.spool.refuse(claimed)
                _logger.error(
                    "The praefect server at %s refused a spooled batch of %d record(s) (%s);"
                    " it is not sent again and is kept as %s.",
                    self.url,
                    claimed.count,
                    exc,
                    kept,
                )
                continue
            if not ok:
                self.spool.release(claimed)
                return False
            self.delivered += 1
            self.delivered_records += claimed.count
            self.spool.done(claimed)
            if progress is not None:
                progress(claimed.count)


def directories(home: Path) -> list[tuple[Path, str | None]]:
    """The spool directories under ``home`` (``$PRAEFECT_HOME``) with the API URL each one's
    batches go to (None when its ``url`` file is missing)."""
    try:
        found = sorted(p for p in (home / "spool").iterdir() if p.is_dir())
    except FileNotFoundError:
        return []
    out = []
    for directory in found:
        try:
            url: str | None = (directory / URL_FILE).read_text().strip() or None
        except FileNotFoundError:
            url = None
        out.append((directory, url))
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
