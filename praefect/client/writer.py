"""The write-behind queue: task-run records, their states, logs and artifacts, committed in
batches.

The calling thread only appends a tuple to a deque (well under a microsecond); a daemon thread
drains it in batches of up to ``max_batch`` items, waiting ``linger`` seconds after the first
item so a batch fills up. ``flush()`` puts a marker in the queue and waits for the writer to
pass it, so everything enqueued before the call is committed when it returns. A failing batch
is retried; if it keeps failing it is logged as an error, never dropped silently. While the
database cannot be reached (``exceptions.DatabaseUnavailable``: a PostgreSQL restart) a batch
is retried for up to ``outage_seconds``, and producers wait once the queue is full.

>>> from praefect import database
>>> import logging
>>> from praefect.schemas.states import now_utc
>>> writer = WriteBehind(lambda: database.get_engine("sqlite:///:memory:"))
>>> writer.put_logs([{"name": "x", "level": logging.INFO, "message": "hi", "timestamp": now_utc()}])
>>> writer.flush()
>>> writer.close()
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Engine

from praefect import database, exceptions, orchestration
from praefect.schemas.states import State, now_utc

if TYPE_CHECKING:  # pydantic: only a run that emits events imports it
    from praefect.schemas.events import Event

__all__ = ["WriteBehind"]


class _EventBatch(list):  # type: ignore[type-arg]
    """Events queued together (told apart from a list of log rows by its class)."""


_logger = logging.getLogger("praefect.client.writer")


class WriteBehind:
    """A batching writer onto the database of ``get_engine()``."""

    def __init__(
        self,
        get_engine: Callable[[], Engine],
        max_batch: int = 5000,
        linger: float = 0.02,
        attempts: int = 5,
        max_pending: int = 30_000,
    ) -> None:
        self._get_engine = get_engine
        self.max_batch = max_batch
        """Most items committed in one transaction."""
        self.linger = linger
        """Seconds the writer waits after waking so a batch can fill up."""
        self.attempts = attempts
        """How many times a failing batch is tried before it is logged and given up."""
        # items: (row, state) tuples, lists of log rows, and flush markers (Events)
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._drain_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._room = threading.Event()
        self.max_pending = max_pending
        """Queued items above which producers wait for the writer (bounds memory)."""
        self._last_states: dict[Any, tuple[str, str]] = {}
        self.failed_items = 0
        """Items given up after ``attempts`` failures (each was logged as an error)."""
        self.outage_seconds = 300.0
        """How long a batch is retried while the database cannot be reached."""

    def put_task_run(self, row: Mapping[str, Any], state: State | None) -> None:
        """Queue the current ``row`` of a task run and, if given, its new ``state``."""
        queue = self._queue
        queue.append((row, state))
        if not self._wake.is_set():
            self._wake.set()
            if self._thread is None:
                self._start()
        if len(queue) > self.max_pending:
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        """Back-pressure: a producer faster than the database waits here, so the queue (and
        the process's memory) stays bounded instead of holding a whole flow's records."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        self._urgent.set()
        self._wake.set()
        low_water = self.max_pending // 2
        deadline = time.monotonic() + 60
        while len(self._queue) > low_water and thread.is_alive():
            if time.monotonic() > deadline:
                break  # never block a run forever on a stuck database: the queue just grows
            self._room.wait(0.005)
            self._room.clear()

    def put_logs(self, rows: list[Mapping[str, Any]]) -> None:
        """Queue log rows."""
        self._queue.append(rows if rows.__class__ is list else list(rows))
        if not self._wake.is_set():
            self._wake.set()
            if self._thread is None:
                self._start()

    def put_events(self, events: list[Event]) -> None:
        """Queue events (validated ``schemas.events.Event`` objects)."""
        self._queue.append(_EventBatch(events))
        if not self._wake.is_set():
            self._wake.set()
            if self._thread is None:
                self._start()

    def put_artifact(self, row: Mapping[str, Any]) -> None:
        """Queue a new artifact's row (``orchestration.artifacts.new_row``)."""
        self._queue.append(row if row.__class__ is dict else dict(row))
        if not self._wake.is_set():
            self._wake.set()
            if self._thread is None:
                self._start()

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued before this call is committed (or ``timeout`` passes)."""
        thread = self._thread
        if thread is threading.current_thread():
            return
        if thread is None or not thread.is_alive():
            self._drain()
            return
        done = threading.Event()
        self._queue.append(done)
        self._urgent.set()
        self._wake.set()
        done.wait(timeout)

    def close(self, timeout: float | None = 60.0) -> None:
        """Commit what is queued and stop the writer thread."""
        self.flush(timeout)
        self._closed = True
        self._wake.set()
        self._urgent.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._drain()

    def pending(self) -> int:
        """How many items wait in the queue (not counting a batch being committed)."""
        return len(self._queue)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closed:
                thread = threading.Thread(target=self._run, name="praefect-writer", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            if not self._urgent.is_set():
                self._urgent.wait(self.linger)
            self._urgent.clear()
            self._drain()

    def _drain(self) -> None:
        with self._drain_lock:
            queue = self._queue
            popleft = queue.popleft
            while queue:
                # Only this method pops, so the first len(queue) items are there to take.
                items = [popleft() for _ in range(min(len(queue), self.max_batch))]
                tasks = [item for item in items if item.__class__ is tuple]
                logs: list[Mapping[str, Any]] = []
                events: list[Event] = []
                artifacts: list[Mapping[str, Any]] = []
                markers: list[threading.Event] = []
                if len(tasks) != len(items):
                    for item in items:
                        kind = item.__class__
                        if kind is list:
                            logs.extend(item)
                        elif kind is _EventBatch:
                            events.extend(item)
                        elif kind is dict:
                            artifacts.append(item)
                        elif kind is not tuple:
                            markers.append(item)
                if artifacts:
                    self._commit(tasks, logs, events, artifacts)
                elif tasks or logs or events:
                    self._commit(tasks, logs, events)
                self._room.set()
                for marker in markers:
                    marker.set()

    def _commit(
        self,
        tasks: list[tuple[Mapping[str, Any], State | None]],
        logs: list[Mapping[str, Any]],
        events: list[Event],
        artifacts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        last_states = self._last_states

        def write(conn: Connection) -> None:
            if tasks:
                orchestration.task_runs.write_batch(conn, tasks, last_states)
            if logs:
                orchestration.logs.write_batch(conn, logs)
            if events:
                received = now_utc()
                orchestration.events.ingest(conn, [event.to_row(received) for event in events])
            if artifacts:
                orchestration.artifacts.write_batch(conn, artifacts)

        delay = 0.05
        attempt = 0
        outage_since: float | None = None
        while attempt < self.attempts:
            attempt += 1
            try:
                database.write(self._get_engine(), write)
            except exceptions.DatabaseUnavailable as exc:
                now = time.monotonic()
                if outage_since is None:
                    outage_since = now
                    _logger.warning(
                        "%s Recording %d task-run change(s), %d log(s) and %d event(s) waits for"
                        " it (up to %.0f s).",
                        exc,
                        len(tasks),
                        len(logs),
                        len(events),
                        self.outage_seconds,
                    )
                if now - outage_since < self.outage_seconds:
                    attempt -= 1  # an outage does not use up the attempts
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                self.failed_items += len(tasks) + len(logs) + len(events)
                _logger.error(
                    "Could not record %d task-run change(s), %d log(s) and %d event(s): the"
                    " database stayed unreachable for %.0f s; they are lost.",
                    len(tasks),
                    len(logs),
                    len(events),
                    now - outage_since,
                )
                return
            except Exception as exc:
                kept = _without_missing_flow_runs(tasks, exc)
                if kept is not None:
                    # a flow run deleted while its tasks ran: drop its records, keep the others'
                    self.failed_items += len(tasks) - len(kept)
                    _logger.error("Dropped %d task-run change(s): %s", len(tasks) - len(kept), exc)
                    tasks = kept
                    attempt -= 1  # each drop removes ids, so this cannot repeat forever
                    continue
                if attempt == self.attempts:
                    self.failed_items += len(tasks) + len(logs) + len(events)
                    _logger.exception(
                        "Could not record %d task-run change(s), %d log(s) and %d event(s) after"
                        " %d attempts; they are lost. Check that the database is reachable and"
                        " writable.",
                        len(tasks),
                        len(logs),
                        len(events),
                        attempt,
                    )
                    return
                time.sleep(delay)
                delay *= 2
            else:
                break
        if tasks and self._get_engine().dialect.name != "sqlite":
            # SQLite finds each event's previous state in the database itself
            _remember_states(last_states, tasks)


def _without_missing_flow_runs(
    tasks: list[tuple[Mapping[str, Any], State | None]], error: Exception
) -> list[tuple[Mapping[str, Any], State | None]] | None:
    """``tasks`` without those of the flow runs ``error`` says do not exist (None when it says
    nothing of the kind, or names none of them)."""
    if not isinstance(error, exceptions.FlowRunNotFound):
        return None
    missing = set(getattr(error, "flow_run_ids", ()))
    kept = [item for item in tasks if item[0].get("flow_run_id") not in missing]
    return kept if len(kept) < len(tasks) else None


def _remember_states(
    last_states: dict[Any, tuple[str, str]], tasks: list[tuple[Mapping[str, Any], State | None]]
) -> None:
    for row, state in tasks:
        if state is None:
            continue
        if state.is_final():
            last_states.pop(row["id"], None)
        else:
            last_states[row["id"]] = (state.type.value, state.name)
