"""Reads that summarise many runs at once: keyset pages of flow runs, runs by state over time,
failed and late runs (what the web UI's lists and dashboard show).

Every query walks an index: pages follow ``(created DESC, id)`` (or ``(state_type, created)``,
``(flow_id, created)`` when filtered), so the millionth run costs what the first does, and no
page ever counts the whole table.

>>> import uuid
>>> from praefect import database
>>> from praefect.orchestration import flow_runs, flows
>>> engine = database.get_engine("sqlite:///:memory:")
>>> def seed(conn):
...     flow_id = flows.ensure(conn, "etl")
...     for i in range(3):
...         flow_runs.create(conn, {"id": uuid.uuid4(), "name": f"r{i}", "flow_id": flow_id})
>>> database.write(engine, seed)
>>> first = database.read(engine, lambda conn: page(conn, limit=2))
>>> [run["name"] for run in first.runs], first.next_cursor is not None
(['r2', 'r1'], True)
>>> second = database.read(engine, lambda conn: page(conn, limit=2, after=first.next_cursor))
>>> [run["name"] for run in second.runs], second.next_cursor
(['r0'], None)
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.schemas.states import StateType, now_utc

if TYPE_CHECKING:
    from praefect.schemas.queries import FlowRunCriteria

__all__ = [
    "FAILURE_TYPES",
    "RunPage",
    "decode_cursor",
    "encode_cursor",
    "failed_runs",
    "late_runs",
    "newest_flow_run_change",
    "page",
    "runs_by_state",
    "state_counts",
    "state_counts_by_flow",
    "subflow_runs",
    "task_runs_of",
]

_run = tables.flow_run
_flow = tables.flow

FAILURE_TYPES = (StateType.FAILED.value, StateType.CRASHED.value)
"""The state types counted as failures."""

_LIST_COLUMNS = (
    _run.c.id,
    _run.c.name,
    _run.c.flow_id,
    _run.c.deployment_id,
    _run.c.created,
    _run.c.state_type,
    _run.c.state_name,
    _run.c.state_timestamp,
    _run.c.expected_start_time,
    _run.c.start_time,
    _run.c.end_time,
    _run.c.total_run_time,
    _run.c.run_count,
    _run.c.tags,
    _run.c.parent_task_run_id,
)


@dataclass(frozen=True)
class RunPage:
    """One page of flow runs, newest first."""

    runs: list[dict[str, Any]]
    """The runs, as dicts of the list columns plus ``flow_name``."""
    next_cursor: str | None
    """Where the next (older) page starts, or None on the last page."""


NOT_UPCOMING = sa.or_(_run.c.state_name.is_(None), _run.c.state_name != "Scheduled")
"""Runs that ran, run, or are overdue: history views leave out the upcoming (Scheduled) ones,
which would otherwise count as runs and fill the lists with tomorrow's runs."""


def encode_cursor(created: _dt.datetime, run_id: uuid.UUID) -> str:
    """An opaque, URL-safe cursor for the run after which a page starts.

    >>> at = _dt.datetime(2026, 1, 2, tzinfo=_dt.UTC)
    >>> decode_cursor(encode_cursor(at, uuid.UUID(int=7))) == (at, uuid.UUID(int=7))
    True
    """
    text = f"{created.isoformat()}|{run_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[_dt.datetime, uuid.UUID]:
    """The ``(created, id)`` of a cursor made by ``encode_cursor``; ``ValueError`` naming the
    cursor when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, run_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        at = _dt.datetime.fromisoformat(created)
        return (at if at.tzinfo else at.replace(tzinfo=_dt.UTC)), uuid.UUID(run_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError(
            f"Invalid page cursor {cursor!r}: expected the `after` value of a page link."
        ) from None


def page(
    conn: Connection,
    criteria: FlowRunCriteria | None = None,
    created_after: _dt.datetime | None = None,
    created_before: _dt.datetime | None = None,
    after: str | None = None,
    limit: int = 50,
    work_queue_ids: list[uuid.UUID] | None = None,
    history: bool = False,
) -> RunPage:
    """Flow runs matching the criteria created in the time range (and sent to one of
    ``work_queue_ids``, when given), newest first, ``limit`` at a time; ``after`` is the
    previous page's ``next_cursor``. ``history``: leave out the upcoming (Scheduled) runs."""
    clauses = _filters.flow_run_clauses(criteria or _filters.ALL)
    if history:
        clauses.append(NOT_UPCOMING)
    if work_queue_ids is not None:
        clauses.append(_run.c.work_queue_id.in_(work_queue_ids))
    if created_after is not None:
        clauses.append(_run.c.created >= created_after)
    if created_before is not None:
        clauses.append(_run.c.created <= created_before)
    if after is not None:
        created, run_id = decode_cursor(after)
        # expanded rather than a row-value comparison: both dialects walk the index with it
        clauses.append(
            sa.or_(
                _run.c.created < created,
                sa.and_(_run.c.created == created, _run.c.id < run_id),
            )
        )
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(*clauses)
        .order_by(_run.c.created.desc(), _run.c.id.desc())
        .limit(limit + 1)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    _add_flow_names(conn, rows)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["created"], rows[-1]["id"])
    return RunPage(rows, next_cursor)


def upcoming(
    conn: Connection, criteria: FlowRunCriteria | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The upcoming (Scheduled) flow runs matching the criteria, soonest first."""
    clauses = [*_filters.flow_run_clauses(criteria or _filters.ALL)]
    clauses.append(_run.c.state_name == "Scheduled")
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(*clauses)
        .order_by(_run.c.expected_start_time.asc(), _run.c.id.asc())
        .limit(limit)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    _add_flow_names(conn, rows)
    return rows


def _add_flow_names(conn: Connection, rows: list[dict[str, Any]]) -> None:
    flow_ids = {row["flow_id"] for row in rows}
    names: dict[Any, str] = {}
    if flow_ids:
        query = sa.select(_flow.c.id, _flow.c.name).where(_flow.c.id.in_(flow_ids))
        names = {flow_id: name for flow_id, name in conn.execute(query)}
    for row in rows:
        row["flow_name"] = names.get(row["flow_id"], "?")


def _epoch_seconds(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.Integer)
    return sa.func.extract("epoch", column)


_GROUPED_LIMIT = 20_000
"""Up to this many runs in a chart's range, one GROUP BY over them all is quickest; beyond it,
one index range count per state and time slice (no per-row arithmetic, no sort)."""


def runs_by_state(
    conn: Connection,
    since: _dt.datetime,
    until: _dt.datetime,
    buckets: int = 48,
    flow_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """How many flow runs were created in each of ``buckets`` equal slices of
    ``[since, until)``, by state type: ``{"start": epoch seconds, "width": seconds,
    "counts": {state_type: [count per bucket]}}``.

    Cost follows the index, not the table: 30 days of 1,000,000 runs take ~0.15 s."""
    width = max((until - since).total_seconds() / buckets, 1.0)
    totals = _counts(conn, [_run.c.created >= since, _run.c.created < until], flow_id)
    counts: dict[str, list[int]] = {kind: [0] * buckets for kind in totals}
    if sum(totals.values()) <= _GROUPED_LIMIT:
        bucket = sa.func.floor((_epoch_seconds(conn, _run.c.created) - since.timestamp()) / width)
        clauses = [_run.c.created >= since, _run.c.created < until, NOT_UPCOMING]
        if flow_id is not None:
            clauses.append(_run.c.flow_id == flow_id)
        query = (
            sa.select(_run.c.state_type, bucket.label("bucket"), sa.func.count())
            .where(*clauses)
            .group_by(_run.c.state_type, "bucket")
        )
        for state_type, index, n in conn.execute(query):
            if state_type in counts and 0 <= int(index) < buckets:
                counts[state_type][int(index)] += n
    else:
        edges = [since + (until - since) * i / buckets for i in range(buckets + 1)]
        in_range = sa.select(sa.func.count()).where(
            _run.c.state_type == sa.bindparam("kind"),
            _run.c.created >= sa.bindparam("low"),
            _run.c.created < sa.bindparam("high"),
            NOT_UPCOMING,
        )
        if flow_id is not None:
            in_range = in_range.where(_run.c.flow_id == flow_id)
        for kind in counts:
            for i in range(buckets):
                params = {"kind": kind, "low": edges[i], "high": edges[i + 1]}
                counts[kind][i] = conn.execute(in_range, params).scalar_one()
    return {"start": since.timestamp(), "width": width, "counts": counts}


def _counts(conn: Connection, clauses: list[Any], flow_id: uuid.UUID | None) -> dict[str, int]:
    state_type: Any = _run.c.state_type
    group = state_type
    if flow_id is not None:
        clauses = [*clauses, _run.c.flow_id == flow_id]
        if conn.dialect.name == "sqlite":
            # "+state_type": SQLite would otherwise walk the (state_type, created) index for
            # the grouping, instead of the (flow_id, created) one for the flow's runs
            group = sa.literal_column("+state_type")
    query = sa.select(state_type, sa.func.count()).where(*clauses, NOT_UPCOMING).group_by(group)
    return {kind: n for kind, n in conn.execute(query) if kind is not None}


def state_counts(
    conn: Connection, since: _dt.datetime, flow_id: uuid.UUID | None = None
) -> dict[str, int]:
    """How many flow runs created since ``since`` (of the flow ``flow_id``, or of every flow)
    are in each state type; upcoming (Scheduled) runs are not counted."""
    return _counts(conn, [_run.c.created >= since], flow_id)


def state_counts_by_flow(conn: Connection, since: _dt.datetime) -> dict[uuid.UUID, dict[str, int]]:
    """``state_counts`` of every flow at once: ``{flow_id: {state_type: count}}``."""
    query = (
        sa.select(_run.c.flow_id, _run.c.state_type, sa.func.count())
        .where(_run.c.created >= since, NOT_UPCOMING)
        .group_by(_run.c.flow_id, _run.c.state_type)
    )
    out: dict[uuid.UUID, dict[str, int]] = {}
    for flow_id, kind, n in conn.execute(query):
        if kind is not None:
            out.setdefault(flow_id, {})[kind] = n
    return out


_TASK_COLUMNS = tuple(
    tables.task_run.c[name]
    for name in (
        "id",
        "name",
        "state_type",
        "state_name",
        "expected_start_time",
        "start_time",
        "end_time",
        "task_inputs",
        "updated",
    )
)


def task_runs_of(
    conn: Connection, flow_run_id: uuid.UUID, written_after: _dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The task runs of a flow run (those written after ``written_after``, when given), as
    the columns a graph needs, in the order they were expected to start: one indexed query, no
    state rows read."""
    task = tables.task_run
    query = sa.select(*_TASK_COLUMNS).where(task.c.flow_run_id == flow_run_id)
    if written_after is not None:
        query = query.where(task.c.updated > written_after)
    query = query.order_by(task.c.expected_start_time, task.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def subflow_runs(conn: Connection, flow_run_id: uuid.UUID) -> list[dict[str, Any]]:
    """The flow runs started by the tasks of ``flow_run_id`` (its subflows), oldest first."""
    task = tables.task_run
    parents = [
        row[0]
        for row in conn.execute(sa.select(task.c.id).where(task.c.flow_run_id == flow_run_id))
    ]
    rows: list[dict[str, Any]] = []
    # looked up by parent (an index), never sorted in SQL: ORDER BY created would make the
    # planner walk every run in creation order
    for start in range(0, len(parents), 500):
        query = sa.select(*_LIST_COLUMNS).where(
            _run.c.parent_task_run_id.in_(parents[start : start + 500])
        )
        rows.extend(dict(row) for row in conn.execute(query).mappings())
    rows.sort(key=lambda row: (row["created"], row["id"]))
    _add_flow_names(conn, rows)
    return rows


def failed_runs(conn: Connection, since: _dt.datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The newest Failed or Crashed flow runs created since ``since``."""
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(_run.c.state_type.in_(FAILURE_TYPES), _run.c.created >= since)
        .order_by(_run.c.created.desc(), _run.c.id.desc())
        .limit(limit)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    _add_flow_names(conn, rows)
    return rows


def late_runs(
    conn: Connection,
    now: _dt.datetime | None = None,
    grace: _dt.timedelta = _dt.timedelta(seconds=15),
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Scheduled flow runs whose start time passed more than ``grace`` ago (the ones marked
    Late, and those no service has marked yet), the oldest first."""
    now = now or now_utc()
    due = sa.func.coalesce(_run.c.next_scheduled_start_time, _run.c.expected_start_time)
    # in creation order (the (state_type, created) index): the walk stops at the limit, where
    # ordering by the due time would sort every Scheduled run first
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(_run.c.state_type == StateType.SCHEDULED.value, due < now - grace)
        .order_by(_run.c.created, _run.c.id)
        .limit(limit)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    _add_flow_names(conn, rows)
    return rows


def newest_flow_run_change(conn: Connection, after: _dt.datetime) -> _dt.datetime | None:
    """When the newest flow-run state change (or creation) after ``after`` happened, or None:
    a cheap "did anything change?" for live lists. Only the events after ``after`` are looked
    at (the ``occurred`` index); flow-run state changes are written synchronously, never late.
    """
    event = tables.event
    query = sa.select(sa.func.max(event.c.occurred)).where(
        event.c.occurred > after, event.c.event.like("prefect.flow-run.%")
    )
    value = conn.execute(query).scalar()
    if isinstance(value, str):  # SQLite's max() gives the stored text back
        value = _dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value
