"""Locks shared by the processes of one host, as files in a directory."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from praefect.locking.protocol import TryingLockManager
from praefect.utilities import processes

__all__ = ["FileSystemLockManager"]

_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]{1,120}$")

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class FileSystemLockManager(TryingLockManager):
    """One lock file per key under ``lock_files_directory``, holding the holder, its process and
    host, and when the lock expires. Every read-check-write of a lock file happens under an
    exclusive ``fcntl.flock`` of the directory's guard file (an ``O_CREAT|O_EXCL`` guard where
    ``fcntl`` is missing), so two processes never both take a lock.

    A lock is stale, and taken over by the next ``acquire_lock``, once its ``hold_timeout`` has
    passed or when its holder was a process of this host that no longer exists (a crashed run
    does not block the key forever).

    >>> import tempfile
    >>> locks = FileSystemLockManager(tempfile.mkdtemp())
    >>> locks.acquire_lock("k", holder="a"), locks.acquire_lock("k", "b", acquire_timeout=0.05)
    (True, False)
    >>> locks.release_lock("k", "a"); locks.is_locked("k")
    False
    """

    def __init__(
        self, lock_files_directory: str | Path, clock: Callable[[], float] | None = None
    ) -> None:
        self.lock_files_directory = Path(lock_files_directory).expanduser()
        self._clock = clock or time.time
        self._host = socket.gethostname()

    # -- files ------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        name = key if _SAFE_KEY.match(key) else hashlib.sha256(key.encode()).hexdigest()
        return self.lock_files_directory / f"{name}.lock"

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        self.lock_files_directory.mkdir(parents=True, exist_ok=True)
        guard = self.lock_files_directory / ".guard"
        if fcntl is not None:
            fd = os.open(guard, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing the descriptor releases the flock
            return
        excl = self.lock_files_directory / ".guard.excl"  # pragma: no cover
        while True:  # pragma: no cover
            try:
                os.close(os.open(excl, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                time.sleep(0.002)
        try:  # pragma: no cover
            yield
        finally:
            os.unlink(excl)

    def _read(self, key: str) -> dict[str, Any] | None:
        """The live lock on ``key`` (None when free or stale). Call under the guard."""
        try:
            lock = json.loads(self._path(key).read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        expires = lock.get("expires_at")
        if expires is not None and expires <= self._clock():
            return None
        if lock.get("host") == self._host and not _process_alive(lock.get("pid")):
            return None
        return lock

    def _write(self, key: str, holder: str, hold_timeout: float | None) -> None:
        expires = None if hold_timeout is None else self._clock() + hold_timeout
        body = {"holder": holder, "expires_at": expires, "host": self._host, "pid": os.getpid()}
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body))
        os.replace(tmp, path)

    # -- the protocol -----------------------------------------------------------------------
    def _try_acquire(self, key: str, holder: str, hold_timeout: float | None) -> bool:
        with self._guard():
            lock = self._read(key)
            if lock is not None and lock["holder"] != holder:
                return False
            self._write(key, holder, hold_timeout)
            return True

    def release_lock(self, key: str, holder: str) -> None:
        with self._guard():
            lock = self._read(key)
            if lock is None or lock["holder"] != holder:
                raise ValueError(f"No lock held by {holder!r} for key {key!r}.")
            self._path(key).unlink()

    def is_locked(self, key: str) -> bool:
        if not self._path(key).exists():  # the common case, without taking the guard
            return False
        with self._guard():
            return self._read(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        if not self._path(key).exists():
            return False
        with self._guard():
            lock = self._read(key)
            return lock is not None and lock["holder"] == holder

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if state["_clock"] is time.time:
            state["_clock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._clock = state.get("_clock") or time.time
        self._host = socket.gethostname()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FileSystemLockManager)
            and self.lock_files_directory == other.lock_files_directory
        )

    def __hash__(self) -> int:
        return hash(self.lock_files_directory)

    def __repr__(self) -> str:
        return f"FileSystemLockManager(lock_files_directory={str(self.lock_files_directory)!r})"


def _process_alive(pid: Any) -> bool:
    return not isinstance(pid, int) or processes.pid_alive(pid)
