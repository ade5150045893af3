"""Work pools, their queues and their workers.

A pool is created with a ``default`` queue (priority 1) and, when none is given, the default
base job template of its type. Workers announce themselves with heartbeats (an upsert by pool
and name). Statuses are worked out when read, from the rows: a worker is ``ONLINE`` while its
last heartbeat is younger than three heartbeat intervals; a pool is ``PAUSED``, ``READY`` (an
online worker) or ``NOT_READY``; a queue is ``PAUSED``, ``READY`` (polled in the last minute) or
``NOT_READY``. No background loop has to keep them current.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> pool = database.write(engine, lambda conn: create_pool(conn, {"name": "local"}))
>>> [q["name"] for q in database.read(engine, lambda conn: read_queues(conn, "local"))]
['default']
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.schemas.job_templates import default_base_job_template
from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.schemas.queries import WorkerQuery, WorkPoolQuery, WorkQueueQuery

__all__ = [
    "DEFAULT_QUEUE",
    "create_pool",
    "create_queue",
    "delete_pool",
    "delete_queue",
    "delete_worker",
    "ensure_queue",
    "heartbeat",
    "is_online",
    "read_pool",
    "read_pool_by_id",
    "read_pools",
    "read_queue",
    "read_queue_by_id",
    "read_queues",
    "read_workers",
    "update_pool",
    "update_queue",
]

DEFAULT_QUEUE = "default"
"""The name of the queue every pool is created with."""

_pool = tables.work_pool
_queue = tables.work_queue
_worker = tables.worker
_BANNED = re.compile(r"[/%&><]")
_POOL_FIELDS = frozenset(
    {"description", "is_paused", "base_job_template", "concurrency_limit", "storage_configuration"}
)
_QUEUE_FIELDS = frozenset({"name", "description", "is_paused", "concurrency_limit", "priority"})
_QUEUE_READY_SECONDS = 60.0
_HEARTBEAT_MULTIPLE = 3
_DEFAULT_HEARTBEAT_SECONDS = 30


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name or len(name) > 255 or _BANNED.search(name):
        raise exceptions.InvalidNameError(
            f"{kind} name {name!r} is not valid: use 1 to 255 characters, none of / % & > <."
        )
    return name


def _pool_not_found(name: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Work pool {name!r} not found.", name=name)


# -- pools ---------------------------------------------------------------------------------------
def create_pool(conn: Connection, values: Mapping[str, Any]) -> dict[str, Any]:
    """Create a work pool and its ``default`` queue; return the pool as ``read_pool`` does.

    ``values``: ``name`` (required), ``type`` (default ``process``), ``description``,
    ``base_job_template`` (default: the type's), ``is_paused``, ``concurrency_limit``.
    A taken name raises ``ObjectAlreadyExists``.
    """
    name = _check_name("Work pool", values.get("name"))
    pool_type = values.get("type") or "process"
    template = values.get("base_job_template") or default_base_job_template(pool_type)
    now = now_utc()
    pool_id = uuid.uuid4()
    row = {
        "id": pool_id,
        "created": now,
        "updated": now,
        "name": name,
        "type": pool_type,
        "description": values.get("description"),
        "base_job_template": dict(template),
        "is_paused": bool(values.get("is_paused", False)),
        "concurrency_limit": values.get("concurrency_limit"),
        "status": "NOT_READY",
    }
    inserted = conn.execute(_filters.insert_ignoring_conflicts(conn, _pool, ["name"]), row)
    if inserted.rowcount == 0:
        raise exceptions.ObjectAlreadyExists(f"A work pool named {name!r} already exists.")
    queue = _insert_queue(conn, pool_id, DEFAULT_QUEUE, {"description": "The default queue."})
    conn.execute(_pool.update().where(_pool.c.id == pool_id).values(default_queue_id=queue))
    return read_pool(conn, name)  # type: ignore[return-value]


def _with_pool_status(conn: Connection, row: sa.RowMapping, now: _dt.datetime) -> dict[str, Any]:
    pool = dict(row)
    if pool["is_paused"]:
        pool["status"] = "PAUSED"
    else:
        online = conn.execute(
            sa.select(_worker.c.last_heartbeat_time, _worker.c.heartbeat_interval_seconds).where(
                _worker.c.work_pool_id == pool["id"]
            )
        ).all()
        ready = any(is_online(beat, interval, now) for beat, interval in online)
        pool["status"] = "READY" if ready else "NOT_READY"
    pool.setdefault("storage_configuration", {})
    return pool


def is_online(last: _dt.datetime | None, interval: float | None, now: _dt.datetime) -> bool:
    """Whether a worker whose last heartbeat was at ``last``, every ``interval`` seconds (None:
    the default 30), is online at ``now``: within three intervals of it."""
    if last is None:
        return False
    if last.tzinfo is None:
        last = last.replace(tzinfo=_dt.UTC)
    window = _HEARTBEAT_MULTIPLE * (interval or _DEFAULT_HEARTBEAT_SECONDS)
    return (now - last).total_seconds() <= window


def read_pool(conn: Connection, name: str) -> dict[str, Any] | None:
    """The work pool called ``name`` (with its current ``status``), or None."""
    row = conn.execute(sa.select(_pool).where(_pool.c.name == name)).mappings().first()
    return _with_pool_status(conn, row, now_utc()) if row is not None else None


def read_pool_by_id(conn: Connection, pool_id: uuid.UUID) -> dict[str, Any] | None:
    """The work pool with this id, or None."""
    row = conn.execute(sa.select(_pool).where(_pool.c.id == pool_id)).mappings().first()
    return _with_pool_status(conn, row, now_utc()) if row is not None else None


def read_pools(conn: Connection, query: WorkPoolQuery | None = None) -> list[dict[str, Any]]:
    """The work pools of ``query``'s page, by name (a ``limit`` of None: all)."""
    page = query or _filters.ALL
    statement = sa.select(_pool).where(*_filters.work_pool_clauses(page.work_pools))
    statement = statement.order_by(_pool.c.name).limit(page.limit).offset(page.offset or None)
    rows = conn.execute(statement).mappings().all()
    now = now_utc()
    return [_with_pool_status(conn, row, now) for row in rows]


def count_pools(conn: Connection, query: WorkPoolQuery | None = None) -> int:
    """How many work pools match the query's filter."""
    work_pool_filter = query.work_pools if query is not None else None
    statement = sa.select(sa.func.count()).select_from(_pool)
    statement = statement.where(*_filters.work_pool_clauses(work_pool_filter))
    return conn.execute(statement).scalar_one()


def update_pool(conn: Connection, name: str, fields: Mapping[str, Any]) -> bool:
    """Change a work pool's ``description``, ``is_paused``, ``base_job_template``,
    ``concurrency_limit``; False when there is no such pool."""
    unknown = set(fields) - _POOL_FIELDS
    if unknown:
        raise ValueError(
            f"Cannot update work pool field(s) {sorted(unknown)}; updatable fields are: "
            f"{', '.join(sorted(_POOL_FIELDS))}."
        )
    values = {k: v for k, v in fields.items() if k != "storage_configuration"}
    statement = _pool.update().where(_pool.c.name == name).values(updated=now_utc(), **values)
    return conn.execute(statement).rowcount > 0


def delete_pool(conn: Connection, name: str) -> bool:
    """Delete a work pool with its queues and workers (its runs and deployments stay); False
    when there is no such pool."""
    pool_id = conn.execute(sa.select(_pool.c.id).where(_pool.c.name == name)).scalar()
    if pool_id is None:
        return False
    conn.execute(_queue.delete().where(_queue.c.work_pool_id == pool_id))
    conn.execute(_worker.delete().where(_worker.c.work_pool_id == pool_id))
    conn.execute(_pool.delete().where(_pool.c.id == pool_id))
    return True


def _pool_id(conn: Connection, pool_name: str) -> uuid.UUID:
    pool_id = conn.execute(sa.select(_pool.c.id).where(_pool.c.name == pool_name)).scalar()
    if pool_id is None:
        raise _pool_not_found(pool_name)
    return pool_id


# -- queues --------------------------------------------------------------------------------------
def _insert_queue(
    conn: Connection, pool_id: uuid.UUID, name: str, values: Mapping[str, Any]
) -> uuid.UUID:
    priority = values.get("priority")
    if priority is None:
        highest = conn.execute(
            sa.select(sa.func.max(_queue.c.priority)).where(_queue.c.work_pool_id == pool_id)
        ).scalar()
        priority = (highest or 0) + 1
    now = now_utc()
    queue_id = uuid.uuid4()
    row = {
        "id": queue_id,
        "created": now,
        "updated": now,
        "name": name,
        "work_pool_id": pool_id,
        "description": values.get("description") or "",
        "is_paused": bool(values.get("is_paused", False)),
        "concurrency_limit": values.get("concurrency_limit"),
        "priority": priority,
        "status": "NOT_READY",
    }
    inserted = conn.execute(
        _filters.insert_ignoring_conflicts(conn, _queue, ["work_pool_id", "name"]), row
    )
    if inserted.rowcount == 0:
        raise exceptions.ObjectAlreadyExists(f"A work queue named {name!r} already exists.")
    return queue_id


def create_queue(conn: Connection, pool_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Create a queue in the pool ``pool_name`` (``values``: ``name``, ``description``,
    ``is_paused``, ``concurrency_limit``, ``priority``, default after the existing ones)."""
    name = _check_name("Work queue", values.get("name"))
    queue_id = _insert_queue(conn, _pool_id(conn, pool_name), name, values)
    return read_queue_by_id(conn, queue_id)  # type: ignore[return-value]


def ensure_queue(conn: Connection, pool_name: str, name: str | None = None) -> dict[str, Any]:
    """The queue ``name`` of a pool (its default queue when None), created if missing; the pool
    must exist (``ObjectNotFound`` otherwise)."""
    if name is None:
        pool = conn.execute(sa.select(_pool).where(_pool.c.name == pool_name)).mappings().first()
        if pool is None:
            raise _pool_not_found(pool_name)
        return read_queue_by_id(conn, pool["default_queue_id"])  # type: ignore[return-value]
    existing = read_queue(conn, pool_name, name)
    if existing is not None:
        return existing
    try:
        return create_queue(conn, pool_name, {"name": name})
    except exceptions.ObjectAlreadyExists:  # created meanwhile
        return read_queue(conn, pool_name, name)  # type: ignore[return-value]


def _queue_select() -> sa.Select[Any]:
    return sa.select(_queue, _pool.c.name.label("work_pool_name")).join(
        _pool, _pool.c.id == _queue.c.work_pool_id
    )


def _with_queue_status(row: sa.RowMapping, now: _dt.datetime) -> dict[str, Any]:
    queue = dict(row)
    if queue["is_paused"]:
        queue["status"] = "PAUSED"
    else:
        polled = queue.get("last_polled")
        if polled is not None and polled.tzinfo is None:
            polled = polled.replace(tzinfo=_dt.UTC)
        recent = polled is not None and (now - polled).total_seconds() <= _QUEUE_READY_SECONDS
        queue["status"] = "READY" if recent else "NOT_READY"
    return queue


def read_queue(conn: Connection, pool_name: str, name: str) -> dict[str, Any] | None:
    """The queue ``name`` of the pool ``pool_name``, or None."""
    query = _queue_select().where(_pool.c.name == pool_name, _queue.c.name == name)
    row = conn.execute(query).mappings().first()
    return _with_queue_status(row, now_utc()) if row is not None else None


def read_queue_by_id(conn: Connection, queue_id: uuid.UUID) -> dict[str, Any] | None:
    """The work queue with this id (with its ``work_pool_name``), or None."""
    row = conn.execute(_queue_select().where(_queue.c.id == queue_id)).mappings().first()
    return _with_queue_status(row, now_utc()) if row is not None else None


def read_queues(
    conn: Connection, pool_name: str | None = None, query: WorkQueueQuery | None = None
) -> list[dict[str, Any]]:
    """Queues (of one pool when ``pool_name`` is given), by priority then name; a missing pool
    raises ``ObjectNotFound``."""
    page: WorkQueueQuery | _filters.Criteria = query or _filters.ALL
    work_queue_filter = page.work_queues
    statement = _queue_select().order_by(_pool.c.name, _queue.c.priority, _queue.c.name)
    if pool_name is not None:
        statement = statement.where(_queue.c.work_pool_id == _pool_id(conn, pool_name))
    if work_queue_filter is not None:
        ids = getattr(getattr(work_queue_filter, "id", None), "any_", None)
        if ids is not None:
            statement = statement.where(_filters.in_values(_queue.c.id, ids))
        names = getattr(work_queue_filter, "name", None)
        if names is not None and names.any_ is not None:
            statement = statement.where(_filters.in_values(_queue.c.name, names.any_))
        if names is not None and getattr(names, "startswith_", None):
            statement = statement.where(
                sa.or_(*[_queue.c.name.startswith(p) for p in names.startswith_])
            )
    rows = conn.execute(statement.limit(page.limit).offset(page.offset or None)).mappings().all()
    now = now_utc()
    return [_with_queue_status(row, now) for row in rows]


def update_queue(conn: Connection, queue_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
    """Change a queue's ``name``, ``description``, ``is_paused``, ``concurrency_limit`` or
    ``priority``; False when there is no such queue."""
    unknown = set(fields) - _QUEUE_FIELDS
    if unknown:
        raise ValueError(
            f"Cannot update work queue field(s) {sorted(unknown)}; updatable fields are: "
            f"{', '.join(sorted(_QUEUE_FIELDS))}."
        )
    if "name" in fields:
        _check_name("Work queue", fields["name"])
    statement = _queue.update().where(_queue.c.id == queue_id).values(updated=now_utc(), **fields)
    return conn.execute(statement).rowcount > 0


def delete_queue(conn: Connection, queue_id: uuid.UUID) -> bool:
    """Delete a work queue (not a pool's default queue: ``ValueError``); False when there is no
    such queue."""
    is_default = conn.execute(
        sa.select(sa.func.count()).select_from(_pool).where(_pool.c.default_queue_id == queue_id)
    ).scalar_one()
    if is_default:
        raise ValueError("A work pool's default queue cannot be deleted; delete the pool instead.")
    return conn.execute(_queue.delete().where(_queue.c.id == queue_id)).rowcount > 0


# -- workers -------------------------------------------------------------------------------------
def heartbeat(
    conn: Connection,
    pool_name: str,
    worker_name: str,
    heartbeat_interval_seconds: float | None = None,
    now: _dt.datetime | None = None,
) -> uuid.UUID:
    """Record that a worker of the pool is alive (creating its row on the first beat); return
    the worker's id."""
    _check_name("Worker", worker_name)
    pool_id = _pool_id(conn, pool_name)
    now = now or now_utc()
    row = {
        "id": uuid.uuid4(),
        "created": now,
        "updated": now,
        "name": worker_name,
        "work_pool_id": pool_id,
        "last_heartbeat_time": now,
        "heartbeat_interval_seconds": heartbeat_interval_seconds,
        "status": "ONLINE",
    }
    statement = _filters.upsert(
        conn, _worker, ["work_pool_id", "name"], exclude_on_update={"id", "created"}
    )
    conn.execute(statement, row)
    where = (_worker.c.work_pool_id == pool_id) & (_worker.c.name == worker_name)
    return conn.execute(sa.select(_worker.c.id).where(where)).scalar_one()


def worker_last_heartbeat(
    conn: Connection, pool_name: str, worker_name: str
) -> tuple[_dt.datetime, float] | None:
    """When the worker called ``worker_name`` of the pool last sent a heartbeat, and the
    window after it within which it counts as online (three heartbeat intervals); None for a
    worker (or pool) not known."""
    query = (
        sa.select(_worker.c.last_heartbeat_time, _worker.c.heartbeat_interval_seconds)
        .select_from(_worker.join(_pool, _pool.c.id == _worker.c.work_pool_id))
        .where(_pool.c.name == pool_name, _worker.c.name == worker_name)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    last, interval = row
    if last.tzinfo is None:
        last = last.replace(tzinfo=_dt.UTC)
    return last, float(_HEARTBEAT_MULTIPLE * (interval or _DEFAULT_HEARTBEAT_SECONDS))


def read_workers(
    conn: Connection,
    pool_name: str,
    query: WorkerQuery | None = None,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The workers of a pool in ``query``'s page, latest heartbeat first, each ``ONLINE`` or
    ``OFFLINE``."""
    page = query or _filters.ALL
    worker_filter, limit, offset = page.workers, page.limit, page.offset
    statement = sa.select(_worker).where(_worker.c.work_pool_id == _pool_id(conn, pool_name))
    beat = getattr(worker_filter, "last_heartbeat_time", None)
    if beat is not None and beat.before_ is not None:
        statement = statement.where(_worker.c.last_heartbeat_time <= beat.before_)
    if beat is not None and beat.after_ is not None:
        statement = statement.where(_worker.c.last_heartbeat_time >= beat.after_)
    statement = statement.order_by(_worker.c.last_heartbeat_time.desc(), _worker.c.name)
    rows = conn.execute(statement).mappings().all()
    now = now or now_utc()
    workers = []
    for row in rows:
        worker = dict(row)
        alive = is_online(row["last_heartbeat_time"], row["heartbeat_interval_seconds"], now)
        worker["status"] = "ONLINE" if alive else "OFFLINE"
        workers.append(worker)
    status = getattr(worker_filter, "status", None)
    if status is not None and status.any_ is not None:
        workers = [w for w in workers if w["status"] in status.any_]
    if status is not None and status.not_any_ is not None:
        workers = [w for w in workers if w["status"] not in status.not_any_]
    end = None if limit is None else offset + limit
    return workers[offset:end]


def delete_worker(conn: Connection, pool_name: str, worker_name: str) -> bool:
    """Forget a worker of a pool; False when there is no such worker."""
    pool_id = _pool_id(conn, pool_name)
    where = (_worker.c.work_pool_id == pool_id) & (_worker.c.name == worker_name)
    return conn.execute(_worker.delete().where(where)).rowcount > 0
