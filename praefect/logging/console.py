"""Console output off the hot path.

Writing a line to stderr per task costs a system call, and each one lets another thread take
the interpreter lock: with the store's writer thread busy, a flow of small tasks spent most of
its time waiting there. Run log lines are queued instead and written in batches by one daemon
thread a few milliseconds later, in order. The queue is flushed when a flow run (or a task
called outside a flow) finishes and when the interpreter exits, so nothing is lost and a user
sees every line of a run before the call returns.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import IO

_LINGER = 0.01  # seconds the writer waits so more lines share one write


class _ConsoleQueue:
    def __init__(self) -> None:
        self._items: list[tuple[IO[str], str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, stream: IO[str], text: str) -> None:
        self._items.append((stream, text))
        if not self._wake.is_set():
            self._wake.set()
            if self._thread is None:
                self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="praefect-console", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            threading.Event().wait(_LINGER)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write everything queued so far, in order (safe from any thread)."""
        with self._lock:
            items, self._items = self._items, []
            if not items:
                return
            stream, chunk = items[0][0], [items[0][1]]
            for item_stream, text in items[1:]:
                if item_stream is stream:
                    chunk.append(text)
                    continue
                _write(stream, chunk)
                stream, chunk = item_stream, [text]
            _write(stream, chunk)

    def _after_fork(self) -> None:
        self._items = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None


def _write(stream: IO[str], chunk: list[str]) -> None:
    try:
        stream.write("".join(chunk))
        stream.flush()
    except Exception:  # a closed or broken stream must never break a run
        pass


queue = _ConsoleQueue()
atexit.register(queue.flush)
os.register_at_fork(after_in_child=queue._after_fork)


def flush() -> None:
    """Write every queued console line now."""
    queue.flush()
