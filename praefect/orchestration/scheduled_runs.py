"""Which Scheduled flow runs are due for a worker (by work pool and queues) or a runner (by
deployments).

Reading them takes nothing: a worker claims a run by proposing Pending, and the state rules
abort a second Pending (``rules.PreventPendingTransitions``), so two workers that read the same
run never both start it. Polling records ``last_polled`` on the queues (or deployments) polled,
which is what their ``READY`` status is worked out from.

>>> from praefect import database
>>> from praefect.orchestration import work_pools
>>> engine = database.get_engine("sqlite:///:memory:")
>>> _ = database.write(engine, lambda conn: work_pools.create_pool(conn, {"name": "local"}))
>>> database.write(engine, lambda conn: for_work_pool(conn, "local"))
[]
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.orchestration import flow_runs, work_pools
from praefect.schemas.states import StateType, now_utc

__all__ = ["for_deployments", "for_work_pool", "why_waiting"]

_run = tables.flow_run
_pool = tables.work_pool
_queue = tables.work_queue
_ACTIVE = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)
_SCHEDULED = StateType.SCHEDULED.value


def _active_count(conn: Connection, where: Any) -> int:
    query = (
        sa.select(sa.func.count()).select_from(_run).where(where, _run.c.state_type.in_(_ACTIVE))
    )
    return conn.execute(query).scalar_one()


def _due(
    conn: Connection, where: Any, scheduled_before: _dt.datetime, limit: int | None
) -> list[dict[str, Any]]:
    query = (
        flow_runs._WITH_STATE.where(
            where,
            _run.c.state_type == _SCHEDULED,
            _run.c.next_scheduled_start_time <= scheduled_before,
        )
        .order_by(_run.c.next_scheduled_start_time, _run.c.id)
        .limit(limit)
    )
    return [flow_runs._joined_run(row) for row in conn.execute(query)]


def _fewest(*limits: int | None) -> int | None:
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def for_work_pool(
    conn: Connection,
    pool_name: str,
    work_queue_names: Sequence[str] | None = None,
    scheduled_before: _dt.datetime | None = None,
    limit: int | None = None,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The Scheduled runs of a pool's queues (all, or those named) due by ``scheduled_before``
    (default now): queues of lower ``priority`` first, then soonest first, at most ``limit``.

    A paused pool or queue gives none, and neither the pool's nor a queue's
    ``concurrency_limit`` is exceeded by runs Pending, Running or Cancelling in it. Each item
    is ``{"work_pool_id", "work_queue_id", "flow_run"}``. A missing pool raises
    ``ObjectNotFound``.
    """
    now = now or now_utc()
    scheduled_before = scheduled_before or now
    pool = conn.execute(sa.select(_pool).where(_pool.c.name == pool_name)).mappings().first()
    if pool is None:
        raise exceptions.ObjectNotFound(f"Work pool {pool_name!r} not found.", name=pool_name)
    query = sa.select(_queue).where(_queue.c.work_pool_id == pool["id"])
    if work_queue_names:
        query = query.where(_filters.in_values(_queue.c.name, work_queue_names))
    queues = conn.execute(query.order_by(_queue.c.priority, _queue.c.name)).mappings().all()
    if queues:
        ids = [queue["id"] for queue in queues]
        conn.execute(_queue.update().where(_queue.c.id.in_(ids)).values(last_polled=now))
    if pool["is_paused"]:
        return []
    pool_slots = None
    if pool["concurrency_limit"] is not None:
        every_queue = sa.select(_queue.c.id).where(_queue.c.work_pool_id == pool["id"])
        pool_slots = pool["concurrency_limit"] - _active_count(
            conn, _run.c.work_queue_id.in_(every_queue)
        )
    found: list[dict[str, Any]] = []
    for queue in queues:
        if queue["is_paused"]:
            continue
        queue_slots = None
        if queue["concurrency_limit"] is not None:
            queue_slots = queue["concurrency_limit"] - _active_count(
                conn, _run.c.work_queue_id == queue["id"]
            )
        left = None if limit is None else limit - len(found)
        taken = len(found)
        want = _fewest(left, queue_slots, None if pool_slots is None else pool_slots - taken)
        if want is not None and want <= 0:
            continue
        for run in _due(conn, _run.c.work_queue_id == queue["id"], scheduled_before, want):
            found.append(
                {"work_pool_id": pool["id"], "work_queue_id": queue["id"], "flow_run": run}
            )
    return found


def for_deployments(
    conn: Connection,
    deployment_ids: Sequence[uuid.UUID],
    scheduled_before: _dt.datetime | None = None,
    limit: int | None = None,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The Scheduled runs of these deployments due by ``scheduled_before`` (default now),
    soonest first, at most ``limit``; the deployments' ``last_polled`` is set to now (what a
    runner serving them polls)."""
    now = now or now_utc()
    ids = [uuid.UUID(str(d)) for d in deployment_ids]
    if not ids:
        return []
    deployment = tables.deployment
    conn.execute(
        deployment.update().where(deployment.c.id.in_(ids)).values(last_polled=now, status="READY")
    )
    return _due(conn, _run.c.deployment_id.in_(ids), scheduled_before or now, limit)


def why_waiting(conn: Connection, flow_run_id: uuid.UUID, now: _dt.datetime | None = None) -> str:
    """Why nobody has started the Scheduled run ``flow_run_id``, in one sentence for its Late
    state: it has no work pool, its pool or queue is paused, no worker of the pool is online, a
    concurrency limit (pool, queue or deployment, named) is full, or the workers are online and
    have not taken it yet."""
    now = now or now_utc()
    run = conn.execute(
        sa.select(_run.c.work_queue_id, _run.c.deployment_id).where(_run.c.id == flow_run_id)
    ).first()
    if run is None or run.work_queue_id is None:
        if run is None or run.deployment_id is None:
            return "It belongs to no deployment: only running its flow starts it."
        return (
            "Its deployment has no work pool: only a serve() process of the deployment starts "
            "it, and none has."
        )
    queue = conn.execute(sa.select(_queue).where(_queue.c.id == run.work_queue_id)).first()
    pool = (
        None
        if queue is None
        else conn.execute(sa.select(_pool).where(_pool.c.id == queue.work_pool_id)).first()
    )
    if queue is None or pool is None:
        return "Its work queue no longer exists: no worker will take it."
    if pool.is_paused:
        return f"Work pool {pool.name!r} is paused."
    if queue.is_paused:
        return f"Work queue {queue.name!r} of work pool {pool.name!r} is paused."
    worker = tables.worker
    beats = conn.execute(
        sa.select(worker.c.name, worker.c.last_heartbeat_time, worker.c.heartbeat_interval_seconds)
        .where(worker.c.work_pool_id == pool.id)
        .order_by(worker.c.last_heartbeat_time.desc())
    ).all()
    online = [name for name, last, every in beats if work_pools.is_online(last, every, now)]
    if not beats:
        return (
            f"No worker has polled work pool {pool.name!r}: start one with "
            f"`praefect worker start --pool {pool.name}`."
        )
    if not online:
        name, last, _ = beats[0]
        return (
            f"No worker of work pool {pool.name!r} is online: the last heartbeat came from "
            f"{name!r} at {last.isoformat()}."
        )
    every_queue = sa.select(_queue.c.id).where(_queue.c.work_pool_id == pool.id)
    limits = [
        (f"work pool {pool.name!r}", pool.concurrency_limit, _run.c.work_queue_id.in_(every_queue)),
        (
            f"work queue {queue.name!r} of work pool {pool.name!r}",
            queue.concurrency_limit,
            _run.c.work_queue_id == queue.id,
        ),
    ]
    if run.deployment_id is not None:
        deployment = tables.deployment
        row = conn.execute(
            sa.select(deployment.c.name, deployment.c.concurrency_limit).where(
                deployment.c.id == run.deployment_id
            )
        ).first()
        if row is not None:
            limits.append(
                (
                    f"deployment {row.name!r}",
                    row.concurrency_limit,
                    _run.c.deployment_id == run.deployment_id,
                )
            )
    for what, limit, where in limits:
        if limit is not None:
            active = _active_count(conn, where)
            if active >= limit:
                return f"The concurrency limit of {what} is full: {active} of {limit} runs active."
    return (
        f"{len(online)} worker(s) of work pool {pool.name!r} are online and have not taken it "
        "yet (busy, or polling other queues)."
    )
