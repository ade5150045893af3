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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.schemas.states import StateType, now_utc

__all__ = [
    "FAILURE_TYPES",
    "RunPage",
    "decode_cursor",
    "encode_cursor",
    "failed_runs",
    "late_runs",
    "page",
    "runs_by_state",
    "state_counts",
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
    flow_filter: Any = None,
    flow_run_filter: Any = None,
    deployment_filter: Any = None,
    created_after: _dt.datetime | None = None,
    created_before: _dt.datetime | None = None,
    after: str | None = None,
    limit: int = 50,
) -> RunPage:
    """Flow runs matching the filters (Prefect's filter schemas) created in the time range,
    newest first, ``limit`` at a time; ``after`` is the previous page's ``next_cursor``."""
    clauses = _filters.flow_run_clauses(flow_filter, flow_run_filter, None, deployment_filter)
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


def runs_by_state(
    conn: Connection,
    since: _dt.datetime,
    until: _dt.datetime,
    buckets: int = 48,
    flow_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """How many flow runs were created in each of ``buckets`` equal slices of
    ``[since, until)``, by state type: ``{"start": epoch seconds, "width": seconds,
    "counts": {state_type: [count per bucket]}}``."""
    width = max((until - since).total_seconds() / buckets, 1.0)
    start = since.timestamp()
    bucket = sa.func.floor((_epoch_seconds(conn, _run.c.created) - start) / width)
    clauses = [_run.c.created >= since, _run.c.created < until]
    if flow_id is not None:
        clauses.append(_run.c.flow_id == flow_id)
    query = (
        sa.select(_run.c.state_type, bucket.label("bucket"), sa.func.count())
        .where(*clauses)
        .group_by(_run.c.state_type, "bucket")
    )
    counts: dict[str, list[int]] = {}
    for state_type, index, n in conn.execute(query):
        index = int(index)
        if 0 <= index < buckets and state_type is not None:
            counts.setdefault(state_type, [0] * buckets)[index] += n
    return {"start": start, "width": width, "counts": counts}


def state_counts(
    conn: Connection, since: _dt.datetime, flow_id: uuid.UUID | None = None
) -> dict[str, int]:
    """How many flow runs created since ``since`` are in each state type."""
    clauses = [_run.c.created >= since]
    if flow_id is not None:
        clauses.append(_run.c.flow_id == flow_id)
    query = (
        sa.select(_run.c.state_type, sa.func.count()).where(*clauses).group_by(_run.c.state_type)
    )
    return {kind: n for kind, n in conn.execute(query) if kind is not None}


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
    Late, and those no service has marked yet), the longest overdue first."""
    now = now or now_utc()
    due = sa.func.coalesce(_run.c.next_scheduled_start_time, _run.c.expected_start_time)
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(_run.c.state_type == StateType.SCHEDULED.value, due < now - grace)
        .order_by(due, _run.c.id)
        .limit(limit)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    _add_flow_names(conn, rows)
    return rows
