"""Events: one row per state change, and per anything else worth reacting to.

Names, resources and labels are Prefect's to the letter: ``prefect.flow-run.Completed`` about
``prefect.flow-run.<id>``, related to ``prefect.flow.<id>``, ``prefect.deployment.<id>``,
``prefect.work-queue.<id>``, ``prefect.work-pool.<id>`` and ``prefect.tag.<tag>``. Every event
stored from Python goes through ``ingest`` (user events, events sent to the API, flow-run state
changes); the task-run writers store their batches' state-change events in SQL, in the same
shape (``event_shape``).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pydantic_core
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import rows as _rows
from praefect.database import tables
from praefect.database import types as _types
from praefect.orchestration import automation_triggers, event_filters, event_shape
from praefect.orchestration import filters as _filters
from praefect.schemas.states import State, now_utc

if TYPE_CHECKING:
    from praefect.orchestration.rules import Run
    from praefect.schemas.events import EventFilter

__all__ = [
    "count",
    "delete_older",
    "flow_run_related",
    "ingest",
    "query",
    "read_many",
    "received_since",
    "related_resource",
    "state_change_event",
    "write",
]

_event = tables.event
_TIGHT = _dt.timedelta(minutes=5)


def _state_summary(state: State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return event_shape.fill(
        event_shape.STATE, type=state.type.value, name=state.name, message=state.message or ""
    )


def state_change_event(
    kind: str,
    run: Run,
    initial: State | None,
    validated: State,
    related: list[dict[str, str]],
    now: _dt.datetime | None = None,
    run_count: int | None = None,
) -> dict[str, Any]:
    """The event row recording that run ``run`` (``kind`` is ``"flow-run"`` or ``"task-run"``)
    entered ``validated`` from ``initial``, as Prefect's server writes it: the event's id is the
    state's, and it ``follows`` the previous state's event when that was under 5 minutes ago.

    >>> from praefect.schemas.states import State
    >>> row = state_change_event("flow-run", {"id": "r1", "name": "x"}, None, State("RUNNING"), [])
    >>> row["event"], row["resource"]["prefect.resource.id"], row["resource"]["prefect.state-type"]
    ('prefect.flow-run.Running', 'prefect.flow-run.r1', 'RUNNING')
    """
    resource_id = event_shape.resource_id(kind, run["id"])
    resource = event_shape.fill(
        event_shape.RESOURCE,
        resource_id=resource_id,
        run_name=run.get("name"),
        state_message=validated.message or "",
        state_name=validated.name,
        state_timestamp=event_shape.iso_timestamp(validated.timestamp),
        state_type=validated.type.value,
    )
    count = run_count if run_count is not None else run.get("run_count")
    if count is not None:
        resource["prefect.run-count"] = str(count)
    follows = None
    if initial is not None and abs(validated.timestamp - initial.timestamp) < _TIGHT:
        follows = initial.id
    return {
        "id": validated.id,
        "occurred": validated.timestamp,
        "event": event_shape.event_name(kind, validated.name),
        "resource_id": resource_id,
        "resource": resource,
        "related": related,
        "payload": event_shape.fill(
            event_shape.PAYLOAD,
            from_type=initial.type.value if initial is not None else None,
            to_type=validated.type.value,
            initial_state=_state_summary(initial),
            validated_state=_state_summary(validated),
        ),
        "received": now or now_utc(),
        "follows": follows,
    }


_t = tables
_RELATED_SQL = (
    sa.select(
        _t.flow.c.name.label("flow_name"),
        _t.flow.c.tags.label("flow_tags"),
        _t.deployment.c.name.label("deployment_name"),
        _t.deployment.c.tags.label("deployment_tags"),
        _t.work_queue.c.name.label("work_queue_name"),
        _t.work_pool.c.id.label("work_pool_id"),
        _t.work_pool.c.name.label("work_pool_name"),
        _t.work_pool.c.type.label("work_pool_type"),
        _t.task_run.c.name.label("task_run_name"),
    )
    .select_from(_t.flow)
    .outerjoin(_t.deployment, _t.deployment.c.id == sa.bindparam("deployment_id"))
    .outerjoin(_t.work_queue, _t.work_queue.c.id == sa.bindparam("work_queue_id"))
    .outerjoin(_t.work_pool, _t.work_pool.c.id == _t.work_queue.c.work_pool_id)
    .outerjoin(_t.task_run, _t.task_run.c.id == sa.bindparam("parent_task_run_id"))
    .where(_t.flow.c.id == sa.bindparam("flow_id"))
)


_RELATED_TTL = 60.0
_RELATED_MAX = 1000
_related_cache: dict[tuple[Any, ...], tuple[float, list[dict[str, str]]]] = {}


def flow_run_related(conn: Connection, run: Run) -> list[dict[str, str]]:
    """The related resources of a flow run's events, as Prefect names them: its flow, its
    deployment, work queue and work pool (when it has them), the task run it is a subflow of
    (role ``task-run``), then the tags of the run, its flow and its deployment, sorted.

    Kept for a minute per run (as Prefect's server caches them): a run's state changes come in
    quick succession, and a renamed flow or deployment shows in its events within the minute."""
    key = (
        id(conn.engine),
        run["id"],
        run["flow_id"],
        run.get("deployment_id"),
        run.get("work_queue_id"),
        run.get("parent_task_run_id"),
        tuple(run.get("tags") or ()),
    )
    now = time.monotonic()
    cached = _related_cache.get(key)
    if cached is not None and now - cached[0] < _RELATED_TTL:
        return [dict(resource) for resource in cached[1]]
    related = _read_related(conn, run)
    if len(_related_cache) >= _RELATED_MAX:
        try:
            del _related_cache[next(iter(_related_cache))]  # the oldest entry
        except (KeyError, RuntimeError, StopIteration):
            pass  # another thread made room first
    _related_cache[key] = (now, related)
    return [dict(resource) for resource in related]


def _read_related(conn: Connection, run: Run) -> list[dict[str, str]]:
    found = conn.execute(
        _RELATED_SQL,
        {
            "flow_id": run["flow_id"],
            "deployment_id": run.get("deployment_id"),
            "work_queue_id": run.get("work_queue_id"),
            "parent_task_run_id": run.get("parent_task_run_id"),
        },
    ).first()
    related: list[dict[str, str]] = []
    tags = set(run.get("tags") or ())

    def add(kind: str, id: object, name: str | None, **labels: str) -> None:
        resource = related_resource(kind, id)
        if name is not None:
            resource["prefect.resource.name"] = name
        resource.update(labels)
        related.append(resource)

    if found is not None:
        add("flow", run["flow_id"], found.flow_name)
        tags.update(found.flow_tags or ())
        if found.deployment_name is not None:
            add("deployment", run["deployment_id"], found.deployment_name)
            tags.update(found.deployment_tags or ())
        if found.work_queue_name is not None:
            add("work-queue", run["work_queue_id"], found.work_queue_name)
        if found.work_pool_name is not None:
            pool_type = {"prefect.work-pool.type": found.work_pool_type}
            add("work-pool", found.work_pool_id, found.work_pool_name, **pool_type)
        if found.task_run_name is not None:
            add("task-run", run["parent_task_run_id"], found.task_run_name)
    related.extend(related_resource("tag", tag) for tag in sorted(tags))
    return related


def related_resource(kind: str, id: object) -> dict[str, str]:
    """A related resource of an event: the ``kind`` (``flow``, ``flow-run``, ``tag``) named
    ``id``, in that role.

    >>> related_resource("tag", "etl")
    {'prefect.resource.id': 'prefect.tag.etl', 'prefect.resource.role': 'tag'}
    """
    return event_shape.fill(event_shape.RELATED, id=event_shape.resource_id(kind, id), role=kind)


def ingest(conn: Connection, rows: Sequence[Mapping[str, Any]], skip_existing: bool = True) -> None:
    """Store event rows (as ``schemas.events.Event.to_row`` gives them): the one way an event
    built in Python is stored, so whatever reacts to events has one place to look. With
    ``skip_existing`` (the default) a row whose id is already stored is skipped, so a client
    may send a batch again; a flow-run state change, whose event is new by construction, passes
    False (one plain INSERT: the hot path)."""
    if not rows:
        return
    if skip_existing:
        rows = automation_triggers.not_stored(conn, rows)  # a batch sent again counts once
        if not rows:
            return
    if conn.dialect.name == "sqlite" and (skip_existing or len(rows) > 1):
        # the driver's executemany on the stored text: several times cheaper than the Core
        # statement's per-value bind processing (ws /api/events/in takes >20,000 events/s)
        sql = _SQLITE_INSERT_IGNORE if skip_existing else _SQLITE_INSERT
        conn.exec_driver_sql(sql, _sqlite_values(rows))
    elif skip_existing:
        conn.execute(_filters.insert_ignoring_conflicts(conn, _event, ["id"]), list(rows))
    elif len(rows) == 1:
        _rows.insert(conn, _event, rows[0])
    else:
        conn.execute(_event.insert(), list(rows))
    emitted = automation_triggers.evaluate(conn, rows)  # events about automations that fired
    if emitted:
        ingest(conn, emitted, skip_existing=False)


_COLUMNS = ("id", "occurred", "event", "resource_id", "resource", "related", "payload", "received")
_SQLITE_INSERT = f"INSERT INTO event ({', '.join(_COLUMNS)}, follows) VALUES ({', '.join('?' * 9)})"
_SQLITE_INSERT_IGNORE = _SQLITE_INSERT.replace("INSERT", "INSERT OR IGNORE", 1)


def _sqlite_values(rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The stored text of each row's values, as the column types would bind them (the JSON
    written by pydantic-core: the same values, non-ASCII text unescaped)."""
    to_json = pydantic_core.to_json
    text = _types._sqlite_text
    received_of: tuple[Any, str | None] = (None, None)
    out = []
    for row in rows:
        received = row["received"]
        if received is not received_of[0]:  # a batch shares one receipt time
            received_of = (received, text(received))
        follows = row.get("follows")
        out.append(
            (
                str(row["id"]),
                text(row["occurred"]),
                row["event"],
                row["resource_id"],
                to_json(row["resource"]).decode(),
                to_json(row["related"]).decode(),
                to_json(row["payload"], fallback=str).decode(),
                received_of[1],
                None if follows is None else str(follows),
            )
        )
    return out


def delete_older(conn: Connection, before: _dt.datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` of the events that occurred before ``before`` (the oldest
    first); how many were deleted. Call again until it deletes fewer than ``limit``."""
    c = _event.c
    oldest = sa.select(c.id).where(c.occurred < before).order_by(c.occurred).limit(limit)
    return conn.execute(_event.delete().where(c.id.in_(oldest.scalar_subquery()))).rowcount


def write(conn: Connection, rows: list[dict[str, Any]], ignore_existing: bool = False) -> None:
    """``ingest`` under its older name (``ignore_existing`` is ``skip_existing``)."""
    ingest(conn, rows, skip_existing=ignore_existing)


def read_many(
    conn: Connection,
    event_prefix: str | None = None,
    resource_id: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Events, oldest first, optionally those whose name starts with ``event_prefix`` or that
    are about ``resource_id``."""
    query = sa.select(_event).order_by(_event.c.occurred, _event.c.id).limit(limit)
    if event_prefix:
        query = query.where(_event.c.event.startswith(event_prefix, autoescape=True))
    if resource_id:
        query = query.where(_event.c.resource_id == resource_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def query(
    conn: Connection,
    filter: EventFilter | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The events matching ``filter`` (Prefect's ``EventFilter``), newest first unless its
    ``order`` is ``ASC``, one page of ``limit`` from ``offset``.

    >>> from praefect import database
    >>> from praefect.schemas.events import EventFilter
    >>> engine = database.get_engine("sqlite:///:memory:")
    >>> f = EventFilter.model_validate({"event": {"prefix": ["acme."]}})
    >>> database.read(engine, lambda conn: query(conn, f))
    []
    """
    from praefect.schemas.events import EventFilter, EventOrder

    f = filter or EventFilter()
    c = _event.c
    order = (c.occurred, c.id) if f.order is EventOrder.ASC else (c.occurred.desc(), c.id.desc())
    statement = sa.select(_event).where(*event_filters.clauses(conn.dialect.name, f))
    statement = statement.order_by(*order).limit(limit).offset(offset or None)
    return [dict(row) for row in conn.execute(statement).mappings()]


def count(conn: Connection, filter: EventFilter | None = None) -> int:
    """How many events match ``filter``."""
    from praefect.schemas.events import EventFilter

    where = event_filters.clauses(conn.dialect.name, filter or EventFilter())
    statement = sa.select(sa.func.count()).select_from(_event).where(*where)
    return int(conn.execute(statement).scalar_one())


def received_since(
    conn: Connection, filter: EventFilter, since: _dt.datetime, limit: int = 1000
) -> list[dict[str, Any]]:
    """The events matching ``filter`` that were stored at or after ``since``, in the order
    they were stored (a subscription's way to find new events, whenever they occurred)."""
    c = _event.c
    where = event_filters.clauses(conn.dialect.name, filter)
    statement = (
        sa.select(_event).where(*where, c.received >= since).order_by(c.received, c.id).limit(limit)
    )
    return [dict(row) for row in conn.execute(statement).mappings()]
