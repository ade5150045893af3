"""Background task runs (``Task.delay()``) and the task workers that run them.

A background task run is created Scheduled, outside any flow run, its parameters in result
storage (the Scheduled state's ``task_parameters_id`` names them). A task worker *claims* runs
of the task keys it serves: ``claim`` moves them to Pending in one write transaction that only
takes runs still Scheduled (SQLite's write transactions are exclusive; PostgreSQL locks the
rows with ``FOR UPDATE SKIP LOCKED``), so each run is taken by exactly one worker however many
ask at once. The claim is recorded against the worker (``task_run_claim``); a worker is known by
its heartbeats (``task_worker``), and ``crash_orphans`` marks Crashed the runs of a worker that
is gone, scheduling them again when their task has retries left.

>>> from praefect import database
>>> from praefect.schemas.states import State
>>> engine = database.get_engine("sqlite:///:memory:")
>>> row = {"id": uuid.uuid4(), "name": "add-1", "task_key": "add", "dynamic_key": "1"}
>>> _ = database.write(engine, lambda conn: schedule(conn, row, State("SCHEDULED")))
>>> [run["name"] for run in database.write(engine, lambda c: claim(c, ["add"], "w1", 5))]
['add-1']
>>> database.write(engine, lambda conn: claim(conn, ["add"], "w2", 5))
[]
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from praefect.database import tables
from praefect.orchestration import task_runs, task_states
from praefect.schemas.states import TERMINAL_STATES, State, StateType, now_utc

__all__ = [
    "POLL_SECONDS",
    "SERVER_POLL_SECONDS",
    "WATCH_SECONDS",
    "claim",
    "claim_waiting",
    "crash_orphans",
    "forget",
    "has_scheduled",
    "heartbeat",
    "read_workers",
    "release",
    "scheduled_counts",
    "schedule",
    "subscribe",
    "unsubscribe",
]

_run = tables.task_run
_worker = tables.task_worker
_claim = tables.task_run_claim

# -- waking the waiting workers of this process ------------------------------------------------
_listeners: set[Callable[[], None]] = set()
_listeners_lock = threading.Lock()


def subscribe(callback: Callable[[], None]) -> None:
    """Call ``callback()`` (from any thread) whenever a background task run is scheduled in
    this process and committed: a waiting worker claims at once instead of at its next poll."""
    with _listeners_lock:
        _listeners.add(callback)


def unsubscribe(callback: Callable[[], None]) -> None:
    """Stop calling ``callback``."""
    with _listeners_lock:
        _listeners.discard(callback)


def _wake(_conn: object = None) -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for callback in listeners:
        callback()


# -- scheduling and claiming ---------------------------------------------------------------------
def schedule(conn: Connection, row: Mapping[str, Any], state: State) -> dict[str, Any]:
    """Create a background task run (no flow run) in ``state`` (Scheduled) and return it; the
    waiting workers of this process are woken once the transaction commits."""
    if row.get("flow_run_id") is not None:
        raise ValueError("A background task run belongs to no flow run; got a flow_run_id.")
    details = state.state_details
    details.setdefault("task_run_id", row["id"])
    details.setdefault("deferred", True)
    now = now_utc()
    full = {"tags": [], "task_inputs": {}, "empirical_policy": {}, "created": now, **row}
    full.setdefault("expected_start_time", full["created"])
    task_runs.write_batch(conn, [(full, state)])
    sa.event.listen(conn, "commit", _wake, once=True)
    # the run as written (reading it back would cost the caller of .delay() half its time)
    return {
        "run_count": 0,
        "total_run_time": 0.0,
        **full,
        "updated": now,
        "state": state,
        "state_id": state.id,
        "state_type": state.type.value,
        "state_name": state.name,
        "state_timestamp": state.timestamp,
    }


def _scheduled_ids(
    conn: Connection, task_keys: Sequence[str], limit: int, now: _dt.datetime
) -> list[uuid.UUID]:
    due = sa.or_(
        _run.c.next_scheduled_start_time.is_(None), _run.c.next_scheduled_start_time <= now
    )
    statement = (
        sa.select(_run.c.id)
        .where(
            _run.c.flow_run_id.is_(None),
            _run.c.state_type == "SCHEDULED",
            _run.c.task_key.in_(list(task_keys)),
            _run.c.state_name == "Scheduled",
            due,
        )
        .order_by(_run.c.expected_start_time, _run.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # another worker's claim holds its rows: take the next ones instead of waiting
        statement = statement.with_for_update(skip_locked=True)
    return list(conn.execute(statement).scalars())


def has_scheduled(conn: Connection, task_keys: Sequence[str]) -> bool:
    """Whether a run of ``task_keys`` waits to be claimed (a read: cheap to poll)."""
    if not task_keys:
        return False
    return bool(_scheduled_ids_read(conn, task_keys))


def _scheduled_ids_read(conn: Connection, task_keys: Sequence[str]) -> list[uuid.UUID]:
    statement = (
        sa.select(_run.c.id)
        .where(
            _run.c.flow_run_id.is_(None),
            _run.c.state_type == "SCHEDULED",
            _run.c.task_key.in_(list(task_keys)),
            _run.c.state_name == "Scheduled",
        )
        .limit(1)
    )
    return list(conn.execute(statement).scalars())


def claim(
    conn: Connection,
    task_keys: Sequence[str],
    client_id: str,
    limit: int = 1,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Take up to ``limit`` Scheduled background runs of ``task_keys`` for the worker
    ``client_id``, oldest first: each moves to Pending (its ``task_parameters_id`` carried
    over) and is returned with that state. A run is taken by one worker only."""
    if not task_keys or limit < 1:
        return []
    now = now or now_utc()
    ids = _scheduled_ids(conn, task_keys, limit, now)
    if not ids:
        return []
    runs = task_runs.read_by_ids(conn, ids)
    items: list[tuple[Mapping[str, Any], State | None]] = []
    for run in runs:
        scheduled: State = run["state"]
        details = {
            "task_run_id": run["id"],
            "deferred": True,
            "task_parameters_id": scheduled.state_details.get("task_parameters_id"),
        }
        pending = State(StateType.PENDING, state_details=details)
        if pending.timestamp <= scheduled.timestamp:
            pending.timestamp = scheduled.timestamp + _dt.timedelta(microseconds=1)
        run.update(
            state=pending,
            state_id=pending.id,
            state_type="PENDING",
            state_name=pending.name,
            state_timestamp=pending.timestamp,
        )
        items.append((task_states.batch_row(run), pending))
    task_runs.write_batch(conn, items)
    conn.execute(_claim.delete().where(_claim.c.task_run_id.in_(ids)))
    conn.execute(
        _claim.insert(),
        [{"task_run_id": run["id"], "task_worker_id": client_id, "claimed": now} for run in runs],
    )
    return runs


POLL_SECONDS = 0.05
"""How often a waiting claim of the embedded store looks for runs scheduled by other processes
(those scheduled in this process wake it at once): one indexed read, cheap on SQLite's WAL."""
SERVER_POLL_SECONDS = 0.25
"""The same for a server's long polls (one read per waiting worker): runs scheduled through the
server wake them at once; this finds those of other replicas and embedded writers."""


def _sqlite_changes(engine: Engine) -> Callable[[], int] | None:
    """For a SQLite file in WAL mode, a cheap reading (one ``stat``) of its write-ahead log
    that changes whenever another process commits; None for other databases."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    wal = path + "-wal"

    def changes() -> int:
        try:
            stat = os.stat(wal)
        except OSError:
            return 0
        return stat.st_mtime_ns ^ stat.st_size

    return changes


WATCH_SECONDS = 0.005
"""How often a waiting claim on a SQLite file looks whether another process committed (a
``stat`` of its write-ahead log); it reads the database only when so."""


def claim_waiting(
    engine: Engine,
    task_keys: Sequence[str],
    client_id: str,
    limit: int = 1,
    timeout: float = 0.0,
    poll_seconds: float = POLL_SECONDS,
) -> list[dict[str, Any]]:
    """``claim`` in a write transaction of its own, waiting up to ``timeout`` seconds for a run
    when none is ready (woken at once by ``schedule`` in this process; a cheap read every
    ``poll_seconds`` sees those of other processes, and on a SQLite file a read as soon as its
    write-ahead log changes)."""
    from praefect import database

    deadline = time.monotonic() + timeout
    woken = threading.Event()
    changes = _sqlite_changes(engine)
    step = WATCH_SECONDS if changes is not None else poll_seconds
    seen = changes() if changes is not None else 0
    last_read = time.monotonic()
    subscribe(woken.set)
    try:
        while True:
            woken.clear()
            runs = database.write(engine, lambda conn: claim(conn, task_keys, client_id, limit))
            if runs:
                return runs
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                if woken.wait(min(remaining, step)):
                    break
                if changes is not None:
                    now = changes()
                    if now == seen and time.monotonic() - last_read < poll_seconds:
                        continue
                    seen = now
                last_read = time.monotonic()
                if database.read(engine, lambda conn: has_scheduled(conn, task_keys)):
                    break
    finally:
        unsubscribe(woken.set)


def release(conn: Connection, task_run_id: uuid.UUID, client_id: str) -> bool:
    """Give back a run ``client_id`` claimed but never started (it could not be delivered): it
    is Scheduled again for another worker. False when the run is not this worker's Pending."""
    held = conn.execute(
        sa.select(_claim.c.task_run_id).where(
            _claim.c.task_run_id == task_run_id, _claim.c.task_worker_id == client_id
        )
    ).first()
    run = task_runs.read(conn, task_run_id) if held is not None else None
    if run is None or run["state"] is None or run["state"].type is not StateType.PENDING:
        return False
    pending: State = run["state"]
    again = State(
        StateType.SCHEDULED,
        message=f"Given back by task worker {client_id}, which could not take it.",
        state_details={
            "task_run_id": task_run_id,
            "deferred": True,
            "task_parameters_id": pending.state_details.get("task_parameters_id"),
        },
    )
    if again.timestamp <= pending.timestamp:
        again.timestamp = pending.timestamp + _dt.timedelta(microseconds=1)
    task_runs.write_batch(conn, [(task_states.batch_row(run), again)])
    conn.execute(_claim.delete().where(_claim.c.task_run_id == task_run_id))
    sa.event.listen(conn, "commit", _wake, once=True)
    return True


# -- task workers -----------------------------------------------------------------------------
def heartbeat(
    conn: Connection,
    client_id: str,
    task_keys: Sequence[str],
    hostname: str | None = None,
    pid: int | None = None,
    now: _dt.datetime | None = None,
    stale_after: float | None = None,
    sweep_hostname: str | None = None,
) -> list[tuple[uuid.UUID, str]]:
    """Record that the task worker ``client_id`` (on ``hostname``, process ``pid``) is alive
    and serves ``task_keys``; with ``stale_after``, then ``crash_orphans`` as seen from
    ``sweep_hostname`` (the host running this code) and return what it crashed."""
    now = now or now_utc()
    values = {"last_heartbeat_time": now, "task_keys": sorted(set(task_keys))}
    if hostname is not None:
        values.update(hostname=hostname, pid=pid)
    updated = conn.execute(_worker.update().where(_worker.c.id == client_id).values(**values))
    if updated.rowcount == 0:
        conn.execute(_worker.insert().values(id=client_id, created=now, **values))
    if stale_after is None:
        return []
    return crash_orphans(conn, stale_after, sweep_hostname, now)


def forget(conn: Connection, client_id: str) -> bool:
    """Remove a stopped task worker; False when there was none."""
    return bool(conn.execute(_worker.delete().where(_worker.c.id == client_id)).rowcount)


def read_workers(conn: Connection, task_keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The task workers (serving any of ``task_keys``, when given), latest heartbeat first,
    each with Prefect's ``identifier``, ``task_keys`` and ``timestamp``, and how many runs it
    holds now (``running``)."""
    holding = (
        sa.select(_claim.c.task_worker_id, sa.func.count().label("running"))
        .select_from(_claim.join(_run, _run.c.id == _claim.c.task_run_id))
        .where(_run.c.state_type.in_(["PENDING", "RUNNING"]))
        .group_by(_claim.c.task_worker_id)
        .subquery()
    )
    statement = (
        sa.select(_worker, sa.func.coalesce(holding.c.running, 0).label("running"))
        .select_from(_worker.outerjoin(holding, holding.c.task_worker_id == _worker.c.id))
        .order_by(_worker.c.last_heartbeat_time.desc(), _worker.c.id)
    )
    wanted = set(task_keys) if task_keys is not None else None
    workers = []
    for row in conn.execute(statement).mappings():
        keys = list(row["task_keys"] or [])
        if wanted is not None and not wanted.intersection(keys):
            continue
        workers.append(
            {
                "identifier": row["id"],
                "task_keys": keys,
                "timestamp": row["last_heartbeat_time"],
                "created": row["created"],
                "hostname": row["hostname"],
                "pid": row["pid"],
                "running": int(row["running"]),
            }
        )
    return workers


def scheduled_counts(conn: Connection) -> dict[str, int]:
    """How many background runs wait for a worker, by task key."""
    statement = (
        sa.select(_run.c.task_key, sa.func.count())
        .where(_run.c.flow_run_id.is_(None), _run.c.state_type == "SCHEDULED")
        .where(_run.c.state_name == "Scheduled")
        .group_by(_run.c.task_key)
    )
    return {key: int(n) for key, n in conn.execute(statement)}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parameters_id(conn: Connection, task_run_id: uuid.UUID) -> Any:
    for state in task_runs.read_states(conn, task_run_id):
        found = state.state_details.get("task_parameters_id")
        if found is not None:
            return found
    return None


def crash_orphans(
    conn: Connection,
    stale_after: float,
    hostname: str | None = None,
    now: _dt.datetime | None = None,
    pid_alive: Callable[[int], bool] = _pid_alive,
) -> list[tuple[uuid.UUID, str]]:
    """Mark Crashed every Pending or Running background run whose worker is gone: its process
    ended (same ``hostname``, the pid no longer alive), its heartbeat is older than
    ``stale_after`` seconds, or it was removed while holding the run. A crashed run whose task
    has retries left is scheduled again, for another worker. Returns ``(run id, reason)``."""
    now = now or now_utc()
    stale_before = now - _dt.timedelta(seconds=stale_after)
    statement = (
        sa.select(
            _claim.c.task_run_id,
            _claim.c.task_worker_id,
            _worker.c.last_heartbeat_time,
            _worker.c.hostname,
            _worker.c.pid,
        )
        .select_from(
            _claim.join(_run, _run.c.id == _claim.c.task_run_id).outerjoin(
                _worker, _worker.c.id == _claim.c.task_worker_id
            )
        )
        .where(_run.c.state_type.in_(["PENDING", "RUNNING"]))
    )
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update(of=_claim, skip_locked=True)
    dead: list[tuple[uuid.UUID, str]] = []
    for run_id, worker_id, beat, host, pid in conn.execute(statement):
        if beat is None:
            reason = f"task worker {worker_id} stopped while running it"
        elif host is not None and host == hostname and pid is not None and not pid_alive(pid):
            reason = f"the process of task worker {worker_id} (pid {pid}) ended"
        elif beat < stale_before:
            reason = f"task worker {worker_id} sent no heartbeat for over {stale_after:g} s"
        else:
            continue
        dead.append((run_id, reason))
    items: list[tuple[Mapping[str, Any], State | None]] = []
    for run_id, reason in dead:
        run = task_runs.read(conn, run_id)
        if run is None or run["state"] is None or run["state"].type in TERMINAL_STATES:
            continue
        row = task_states.batch_row(run)
        previous: State = run["state"]
        crashed = State(
            StateType.CRASHED,
            message=f"Task run crashed: {reason}.",
            state_details={"task_run_id": run_id},
        )
        if crashed.timestamp <= previous.timestamp:
            crashed.timestamp = previous.timestamp + _dt.timedelta(microseconds=1)
        retries = int((run.get("empirical_policy") or {}).get("retries") or 0)
        # a Pending run may have started already (its Running state not yet written): it
        # counts as an attempt
        if max(row["run_count"] or 0, 1) <= retries:
            items.append((dict(row), crashed))
            again = State(
                StateType.SCHEDULED,
                message=f"Scheduled again after a crash ({reason}).",
                state_details={
                    "task_run_id": run_id,
                    "deferred": True,
                    "task_parameters_id": _parameters_id(conn, run_id),
                },
                timestamp=crashed.timestamp + _dt.timedelta(microseconds=1),
            )
            items.append((row, again))
        else:
            row["end_time"] = crashed.timestamp
            items.append((row, crashed))
    if items:
        task_runs.write_batch(conn, items)
        conn.execute(_claim.delete().where(_claim.c.task_run_id.in_([i for i, _ in dead])))
    return dead
