"""Crash detection: flow runs left Running by a process that is gone.

A run is found dead in one of two ways:

- on the host that ran it, the process of its current attempt (recorded when the attempt entered
  Running: ``orchestration.flow_runs``) no longer exists, or its process id now belongs to a
  process started after that (checked by whichever praefect process opens the store there: the
  CLI, a flow, a worker, the server);
- anywhere, its heartbeat is older than ``stale_after`` seconds (the process, or its host, stopped
  without a word).

A run a worker claimed (Pending, not yet Running) is found orphaned when the worker died with it:
its process (``infrastructure_pid``) is gone from this host, or the worker that claimed it (named
in the Pending state's details) has sent no heartbeat for three of its heartbeat intervals.

Such a run is moved to Crashed (a deployment's run with retries left is rescheduled instead) in
one transaction that first checks it is still in the state it
was seen in, so a run that finished meanwhile is never overwritten.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from praefect import database
from praefect.database import tables
from praefect.orchestration import flow_runs, rules, task_runs, work_pools
from praefect.schemas.states import State, StateType, now_utc
from praefect.utilities.processes import pid_alive

__all__ = ["crash_dead_runs", "find_dead_runs", "mark_crashed", "pid_alive"]

_run = tables.flow_run
_ACTIVE = (StateType.RUNNING.value, StateType.CANCELLING.value)


def process_started_at(pid: int) -> _dt.datetime | None:
    """When a process started (Linux ``/proc``; None where that cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
    seconds = boot + ticks / os.sysconf("SC_CLK_TCK")
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC)


def _same_process(pid: int, since: _dt.datetime | None) -> bool:
    """False when the pid now belongs to a process that started after ``since`` (the time the
    run entered its current state; its attempt's process was running by then): the pid was
    reused."""
    if since is None:
        return True
    started = process_started_at(pid)
    return started is None or started <= since + _dt.timedelta(seconds=1)


def find_dead_runs(
    conn: Connection,
    hostname: str,
    stale_after: float,
    now: _dt.datetime | None = None,
    is_alive: Callable[[int], bool] = pid_alive,
) -> list[tuple[Any, Any, str]]:
    """``(flow_run_id, state_id, reason)`` of every active run whose process is gone."""
    now = now or now_utc()
    rows = conn.execute(
        sa.select(
            _run.c.id,
            _run.c.state_id,
            _run.c.hostname,
            _run.c.pid,
            _run.c.heartbeat,
            _run.c.state_timestamp,
        ).where(_run.c.state_type.in_(_ACTIVE))
    ).all()
    dead = []
    for run_id, state_id, host, pid, heartbeat, state_ts in rows:
        if host == hostname and pid is not None:
            if pid == os.getpid():
                continue
            if is_alive(pid) and _same_process(pid, state_ts):
                continue  # on this host the process table is the authority
            dead.append((run_id, state_id, f"Its process (pid {pid} on {host}) is gone."))
            continue
        last_sign = heartbeat or state_ts
        if last_sign is not None and (now - last_sign).total_seconds() > stale_after:
            dead.append(
                (
                    run_id,
                    state_id,
                    f"No heartbeat from its process (pid {pid} on {host}) since "
                    f"{last_sign.isoformat(timespec='seconds')}.",
                )
            )
    dead.extend(_orphaned_pending(conn, hostname, now, is_alive))
    return dead


def _orphaned_pending(
    conn: Connection, hostname: str, now: _dt.datetime, is_alive: Callable[[int], bool]
) -> list[tuple[Any, Any, str]]:
    """Pending runs claimed by a worker that is gone (see the module's docstring)."""
    state = tables.flow_run_state
    rows = conn.execute(
        sa.select(_run.c.id, _run.c.state_id, _run.c.infrastructure_pid, state.c.state_details)
        .select_from(_run.join(state, state.c.id == _run.c.state_id))
        .where(_run.c.state_type == StateType.PENDING.value)
    ).all()
    workers: dict[tuple[str, str], tuple[_dt.datetime, float] | None] = {}
    orphaned = []
    for run_id, state_id, infrastructure, details in rows:
        details = details or {}
        worker, pool = details.get("worker_name"), details.get("work_pool_name")
        host, _, pid = (infrastructure or "").rpartition(":")
        if host == hostname and pid.isdigit():
            if not is_alive(int(pid)):
                reason = f"Its process ({infrastructure}) is gone before it started running."
                orphaned.append((run_id, state_id, reason))
            continue  # on this host the process table is the authority
        if not (isinstance(worker, str) and isinstance(pool, str)):
            continue  # not claimed by a praefect worker: nothing to watch
        if (pool, worker) not in workers:
            workers[pool, worker] = work_pools.worker_last_heartbeat(conn, pool, worker)
        beat = workers[pool, worker]
        if beat is not None and (now - beat[0]).total_seconds() <= beat[1]:
            continue
        since = "" if beat is None else f" since {beat[0].isoformat(timespec='seconds')}"
        reason = (
            f"The worker {worker!r} of pool {pool!r} that claimed it has sent no heartbeat{since}."
        )
        orphaned.append((run_id, state_id, reason))
    return orphaned


def mark_crashed(conn: Connection, run_id: Any, seen_state_id: Any, reason: str) -> bool:
    """Move one run to Crashed if it is still in the state it was seen in; return whether it
    was."""
    current = conn.execute(sa.select(_run.c.state_id).where(_run.c.id == run_id)).scalar()
    if current is None or str(current) != str(seen_state_id):
        return False
    state = State(StateType.CRASHED, message=f"Flow run crashed: {reason}")
    run = conn.execute(sa.select(_run).where(_run.c.id == run_id)).mappings().one()
    # a deployment's run with retries left is rescheduled instead, for a worker to run again
    # (as the rules answer a proposed Crashed: RetryCrashedDeploymentRuns)
    retry = rules.crash_retry_state(run, state, now_utc())
    flow_runs.set_state(conn, run_id, retry or state, force=True)
    _crash_task_runs(conn, run_id, state.timestamp)
    return True


def crash_dead_runs(
    engine: Engine, hostname: str, stale_after: float, now: _dt.datetime | None = None
) -> list[tuple[Any, str]]:
    """Find the dead runs and mark each Crashed in its own transaction: ``(flow_run_id, reason)``
    of those marked (a run that moved on meanwhile is left alone)."""
    dead = database.read(engine, lambda conn: find_dead_runs(conn, hostname, stale_after, now=now))
    crashed = []
    for run_id, state_id, reason in dead:
        if database.write(
            engine,
            functools.partial(mark_crashed, run_id=run_id, seen_state_id=state_id, reason=reason),
        ):
            crashed.append((run_id, reason))
    return crashed


def _crash_task_runs(conn: Connection, flow_run_id: Any, now: _dt.datetime) -> None:
    """The task runs that were running in the dead process crashed with it."""
    task_run = tables.task_run
    rows = conn.execute(
        sa.select(task_run).where(
            task_run.c.flow_run_id == flow_run_id,
            task_run.c.state_type.in_(_ACTIVE),
        )
    ).mappings()
    items = []
    for row in rows:
        record = dict(row)
        record["end_time"] = now
        state = State(
            StateType.CRASHED,
            message="Task run crashed: the process of its flow run is gone.",
            state_details={"task_run_id": row["id"], "flow_run_id": flow_run_id},
        )
        items.append((record, state))
    if items:
        task_runs.write_batch(conn, items)
