"""Turn queries (``praefect.schemas.queries``) into SQL, and build the few dialect-specific
statements.

Filters are read by attribute, so any object shaped like Prefect's filter schemas works.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from praefect.database import tables

if TYPE_CHECKING:
    from praefect.schemas.filters import LogFilter
    from praefect.schemas.queries import (
        DeploymentCriteria,
        FlowCriteria,
        FlowRunCriteria,
        TaskRunCriteria,
    )
    from praefect.schemas.work_pools import WorkPoolFilter, WorkQueueFilter

__all__ = [
    "ALL",
    "Criteria",
    "by_created",
    "driver_values",
    "driver_values_with_state",
    "deployment_clauses",
    "deployment_order",
    "flow_clauses",
    "flow_order",
    "flow_run_clauses",
    "flow_run_order",
    "in_values",
    "insert_ignoring_conflicts",
    "log_clauses",
    "log_order",
    "task_run_clauses",
    "task_run_order",
    "upsert",
    "work_pool_clauses",
    "work_queue_clauses",
]

_flow, _run, _task = tables.flow, tables.flow_run, tables.task_run


@dataclass(frozen=True)
class Criteria:
    """A query the service layer builds itself (one nested in another, or ``ALL``): read by
    attribute like the ``praefect.schemas.queries`` models, which a plain flow run and the
    server's start-up do not import (pydantic)."""

    flows: Any = None
    flow_runs: Any = None
    task_runs: Any = None
    deployments: Any = None
    work_pools: Any = None
    work_pool_queues: Any = None
    work_queues: Any = None
    workers: Any = None
    logs: Any = None
    sort: Any = None
    """None: the family's default order."""
    limit: int | None = None
    offset: int = 0


ALL = Criteria()
"""Every record, in the default order: what a service read without a query reads."""


def _dialect_insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def insert_ignoring_conflicts(conn: Connection, table: sa.Table, keys: list[str]) -> Any:
    """An INSERT that does nothing when a row with the same ``keys`` exists; its result's
    ``rowcount`` says how many rows were inserted (on PostgreSQL too, where SQLAlchemy keeps an
    INSERT's rowcount only when asked)."""
    insert = _dialect_insert(conn, table).on_conflict_do_nothing(index_elements=keys)
    return insert.execution_options(preserve_rowcount=True)


def upsert(
    conn: Connection,
    table: sa.Table,
    keys: list[str],
    exclude_on_update: set[str],
    where: Any = None,
) -> Any:
    """An INSERT that overwrites the existing row with the same ``keys`` (but not the columns in
    ``exclude_on_update``), only where ``where`` holds when it is given."""
    insert = _dialect_insert(conn, table)
    updates = {c.name: insert.excluded[c.name] for c in table.c if c.name not in exclude_on_update}
    return insert.on_conflict_do_update(index_elements=keys, set_=updates, where=where)


# -- IN with many values ----------------------------------------------------------------------
#
# ``column.in_(values)`` binds one parameter per value: PostgreSQL takes at most 65,535 in a
# statement (SQLite, in Python's build, 250,000). A long list is bound as one parameter instead:
# an array on PostgreSQL (``column = ANY(:values)``), JSON text on SQLite
# (``column IN (SELECT value FROM json_each(:values))``).

_MANY = 1000
"""Lists longer than this are bound as one parameter."""


class _ValueList(sa.types.TypeDecorator[Any]):
    """A list of values of ``item_type``, bound as one parameter."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, item_type: sa.types.TypeEngine[Any]) -> None:
        super().__init__()
        self.item_type = item_type

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return dialect.type_descriptor(ARRAY(self.item_type))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return list(value)
        process = self.item_type._cached_bind_processor(dialect)
        return json.dumps([process(item) for item in value] if process else list(value))


class _InValues(ColumnElement[bool]):
    """``column IN values`` (``NOT IN`` with ``negate``), the values bound as one parameter."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
        ("negate", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: Any, values: Sequence[Any], negate: bool) -> None:
        self.column = column
        self.values = sa.bindparam(None, values, type_=_ValueList(column.type))
        self.negate = negate


@compiles(_InValues)
def _in_json_each(element: _InValues, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    operator = "NOT IN" if element.negate else "IN"
    return f"{column} {operator} (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(_InValues, "postgresql")
def _in_array(element: _InValues, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    values = compiler.process(element.values, **kw)
    return f"{column} <> ALL({values})" if element.negate else f"{column} = ANY({values})"


def in_values(column: Any, values: Iterable[Any], negate: bool = False) -> ColumnElement[bool]:
    """``column.in_(values)`` (``not_in`` with ``negate``) for a list of any length."""
    values = list(values)
    if len(values) <= _MANY:
        return column.not_in(values) if negate else column.in_(values)
    return _InValues(column, values, negate)


def _combine(f: Any, clauses: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    if len(clauses) > 1 and getattr(getattr(f, "operator", None), "value", "and_") == "or_":
        return [sa.or_(*clauses)]
    return clauses


def _values(items: Iterable[Any]) -> list[Any]:
    return [getattr(item, "value", item) for item in items]


def _ids(column: Any, f: Any, out: list[ColumnElement[bool]]) -> None:
    if f is None:
        return
    inner: list[ColumnElement[bool]] = []
    if getattr(f, "any_", None) is not None:
        inner.append(in_values(column, f.any_))
    if getattr(f, "not_any_", None) is not None:
        inner.append(in_values(column, f.not_any_, negate=True))
    is_null = getattr(f, "is_null_", None)
    if is_null is not None:
        inner.append(column.is_(None) if is_null else column.is_not(None))
    if getattr(f, "like_", None) is not None:
        # a partial match of the text as given: % and _ are characters, not wildcards
        inner.append(column.icontains(f.like_, autoescape=True))
    out.extend(_combine(f, inner))


def _times(column: Any, f: Any, out: list[ColumnElement[bool]]) -> None:
    if f is None:
        return
    if f.before_ is not None:
        out.append(column <= f.before_)
    if f.after_ is not None:
        out.append(column >= f.after_)
    is_null = getattr(f, "is_null_", None)
    if is_null is not None:
        out.append(column.is_(None) if is_null else column.is_not(None))


def _tags(column: Any, f: Any, out: list[ColumnElement[bool]]) -> None:
    if f is None:
        return
    # Tags are a JSON list; matching the tag as a JSON string in its text works on every dialect
    text = sa.cast(column, sa.Text())
    inner: list[ColumnElement[bool]] = []
    inner.extend(_has_tag(text, tag) for tag in f.all_ or ())
    if getattr(f, "any_", None):
        inner.append(sa.or_(*(_has_tag(text, tag) for tag in f.any_)))
    if f.is_null_ is not None:
        empty = sa.or_(column.is_(None), text == "[]")
        inner.append(empty if f.is_null_ else sa.not_(empty))
    out.extend(_combine(f, inner))


def _created_by(f: Any, out: list[ColumnElement[bool]]) -> None:
    # No run records its creator: every run's is null.
    if f is None:
        return
    inner: list[ColumnElement[bool]] = []
    if getattr(f, "id_", None) is not None or getattr(f, "type_", None) is not None:
        inner.append(sa.false())
    if getattr(f, "is_null_", None) is not None:
        inner.append(sa.true() if f.is_null_ else sa.false())
    out.extend(_combine(f, inner))


def _text_search(f: Any, out: list[ColumnElement[bool]]) -> None:
    """A log's message and logger name hold any of the query's plain words, all of its
    ``+`` words and none of its ``-`` words (case-insensitively)."""
    if f is None:
        return
    any_of, all_of, none_of = f.terms()
    log = tables.log
    text = sa.func.lower(log.c.message + " " + log.c.name)

    def has(term: str) -> ColumnElement[bool]:
        return text.contains(term.lower(), autoescape=True)

    if any_of:
        out.append(sa.or_(*(has(term) for term in any_of)))
    out.extend(has(term) for term in all_of)
    out.extend(sa.not_(has(term)) for term in none_of)


def _has_tag(text: Any, tag: str) -> ColumnElement[bool]:
    """Whether the JSON text of a tag list holds ``tag``: as a JSON string, with its quotes and
    backslashes escaped, and its other characters as SQLite's text has them (``\\u00e9``) or as
    PostgreSQL's ``jsonb`` prints them (``é``)."""
    stored = json.dumps(tag)
    printed = json.dumps(tag, ensure_ascii=False)
    match = text.contains(stored, autoescape=True)
    return match if printed == stored else sa.or_(match, text.contains(printed, autoescape=True))


def _state(table: sa.Table, f: Any, out: list[ColumnElement[bool]]) -> None:
    if f is None:
        return
    inner: list[ColumnElement[bool]] = []
    if f.type is not None:
        if f.type.any_ is not None:
            inner.append(in_values(table.c.state_type, _values(f.type.any_)))
        if f.type.not_any_ is not None:
            inner.append(in_values(table.c.state_type, _values(f.type.not_any_), negate=True))
    if f.name is not None:
        _ids(table.c.state_name, f.name, inner)
    out.extend(_combine(f, inner))


def flow_clauses(criteria: FlowCriteria | Criteria) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``flow`` for the criteria."""
    flow_filter = criteria.flows
    flow_run_filter, task_run_filter = criteria.flow_runs, criteria.task_runs
    out: list[ColumnElement[bool]] = []
    if flow_filter is not None:
        inner: list[ColumnElement[bool]] = []
        _ids(_flow.c.id, flow_filter.id, inner)
        _ids(_flow.c.name, flow_filter.name, inner)
        _tags(_flow.c.tags, flow_filter.tags, inner)
        out.extend(_combine(flow_filter, inner))
    if flow_run_filter is not None or task_run_filter is not None:
        runs = sa.select(_run.c.flow_id).where(
            *flow_run_clauses(Criteria(flow_runs=flow_run_filter, task_runs=task_run_filter))
        )
        out.append(_flow.c.id.in_(runs))
    deployment_filter = getattr(criteria, "deployments", None)
    work_pool_filter = getattr(criteria, "work_pools", None)
    if deployment_filter is not None or work_pool_filter is not None:
        of = Criteria(deployments=deployment_filter, work_pools=work_pool_filter)
        deployments = sa.select(tables.deployment.c.flow_id).where(*deployment_clauses(of))
        out.append(_flow.c.id.in_(deployments))
    return out


def _only_flow_ids(flow_filter: Any) -> list[Any] | None:
    """The flows' ids when ``flow_filter`` says only ``id.any_`` (they are then the answer),
    else None."""
    ids = getattr(flow_filter, "id", None)
    any_: list[Any] | None = getattr(ids, "any_", None)
    if any_ is None:
        return None
    if any(getattr(ids, name, None) is not None for name in ("not_any_", "is_null_", "like_")):
        return None
    fields = getattr(flow_filter, "model_fields_set", None)
    others = ("name", "tags") if fields is None else fields - {"id", "operator"}
    return any_ if all(getattr(flow_filter, name, None) is None for name in others) else None


def flow_run_clauses(criteria: FlowRunCriteria | Criteria) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``flow_run`` for the criteria."""
    flow_filter, task_run_filter = criteria.flows, criteria.task_runs
    deployment_filter = criteria.deployments
    out: list[ColumnElement[bool]] = []
    f = criteria.flow_runs
    if f is not None:
        inner: list[ColumnElement[bool]] = []
        _ids(_run.c.id, f.id, inner)
        _ids(_run.c.name, f.name, inner)
        _tags(_run.c.tags, f.tags, inner)
        _ids(_run.c.deployment_id, f.deployment_id, inner)
        _ids(_run.c.work_queue_name, f.work_queue_name, inner)
        _ids(_run.c.idempotency_key, f.idempotency_key, inner)
        _state(_run, f.state, inner)
        _times(_run.c.start_time, f.start_time, inner)
        _times(_run.c.end_time, f.end_time, inner)
        _times(_run.c.expected_start_time, f.expected_start_time, inner)
        _ids(_run.c.parent_task_run_id, f.parent_task_run_id, inner)
        _ids(_run.c.flow_version, getattr(f, "flow_version", None), inner)
        _times(
            _run.c.next_scheduled_start_time, getattr(f, "next_scheduled_start_time", None), inner
        )
        _created_by(getattr(f, "created_by", None), inner)
        if f.parent_flow_run_id is not None and f.parent_flow_run_id.any_ is not None:
            parents = sa.select(_task.c.id).where(
                in_values(_task.c.flow_run_id, f.parent_flow_run_id.any_)
            )
            inner.append(_run.c.parent_task_run_id.in_(parents))
        out.extend(_combine(f, inner))
    if flow_filter is not None:
        flow_ids = _only_flow_ids(flow_filter)
        if flow_ids is not None:
            # the common case (runs of these flows): no subquery on ``flow``, so the planner
            # can use the (flow_id, created) index
            out.append(in_values(_run.c.flow_id, flow_ids))
        else:
            flows = sa.select(_flow.c.id).where(*flow_clauses(Criteria(flows=flow_filter)))
            out.append(_run.c.flow_id.in_(flows))
    if task_run_filter is not None:
        tasks = sa.select(_task.c.flow_run_id).where(
            *task_run_clauses(Criteria(task_runs=task_run_filter))
        )
        out.append(_run.c.id.in_(tasks))
    if deployment_filter is not None:
        if _only_ids(deployment_filter):
            _ids(_run.c.deployment_id, deployment_filter.id, out)
        else:
            of = Criteria(deployments=deployment_filter)
            deployments = sa.select(tables.deployment.c.id).where(*deployment_clauses(of))
            out.append(_run.c.deployment_id.in_(deployments))
    queues = _queue_ids(
        getattr(criteria, "work_pools", None), getattr(criteria, "work_pool_queues", None)
    )
    if queues is not None:
        out.append(_run.c.work_queue_id.in_(queues))
    return out


def _only_ids(f: Any) -> bool:
    """Whether a filter says nothing but ``id`` (and its ``operator``)."""
    fields = getattr(f, "model_fields_set", None)
    if fields is None:
        return False
    return all(getattr(f, name, None) is None for name in fields - {"id", "operator"})


def _queue_ids(work_pool_filter: Any, work_queue_filter: Any) -> Any:
    """A SELECT of the ids of the queues in pools matching ``work_pool_filter`` and matching
    ``work_queue_filter`` (None: neither is given)."""
    if work_pool_filter is None and work_queue_filter is None:
        return None
    queue = tables.work_queue
    query = sa.select(queue.c.id).where(*work_queue_clauses(work_queue_filter))
    if work_pool_filter is not None:
        pools = sa.select(tables.work_pool.c.id).where(*work_pool_clauses(work_pool_filter))
        query = query.where(queue.c.work_pool_id.in_(pools))
    return query


def task_run_clauses(criteria: TaskRunCriteria | Criteria) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``task_run`` for the criteria."""
    flow_filter, flow_run_filter = criteria.flows, criteria.flow_runs
    out: list[ColumnElement[bool]] = []
    f = criteria.task_runs
    if f is not None:
        inner: list[ColumnElement[bool]] = []
        _ids(_task.c.id, f.id, inner)
        _ids(_task.c.name, f.name, inner)
        _tags(_task.c.tags, f.tags, inner)
        _state(_task, f.state, inner)
        _times(_task.c.start_time, f.start_time, inner)
        _times(_task.c.end_time, getattr(f, "end_time", None), inner)
        _times(_task.c.expected_start_time, f.expected_start_time, inner)
        _ids(_task.c.flow_run_id, f.flow_run_id, inner)
        subflows = getattr(getattr(f, "subflow_runs", None), "exists_", None)
        if subflows is not None:
            # a task run stands for a subflow run when a flow run names it as its parent
            parent = sa.exists().where(_run.c.parent_task_run_id == _task.c.id)
            inner.append(parent if subflows else sa.not_(parent))
        out.extend(_combine(f, inner))
    deployment_filter = getattr(criteria, "deployments", None)
    if flow_filter is not None or flow_run_filter is not None or deployment_filter is not None:
        of = Criteria(flows=flow_filter, flow_runs=flow_run_filter, deployments=deployment_filter)
        runs = sa.select(_run.c.id).where(*flow_run_clauses(of))
        out.append(_task.c.flow_run_id.in_(runs))
    return out


def log_clauses(log_filter: LogFilter | None = None) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``log`` for a log filter."""
    if log_filter is None:
        return []
    log = tables.log
    out: list[ColumnElement[bool]] = []
    _ids(log.c.name, log_filter.name, out)
    if log_filter.level is not None:
        if log_filter.level.ge_ is not None:
            out.append(log.c.level >= log_filter.level.ge_)
        if log_filter.level.le_ is not None:
            out.append(log.c.level <= log_filter.level.le_)
    _times(log.c.timestamp, log_filter.timestamp, out)
    _ids(log.c.flow_run_id, log_filter.flow_run_id, out)
    _ids(log.c.task_run_id, log_filter.task_run_id, out)
    _text_search(getattr(log_filter, "text", None), out)
    return _combine(log_filter, out)


_SORT_COLUMNS = {"duration": "total_run_time"}
"""Sort keys that are not a column's name: the column they order by."""


def _order(table: sa.Table, sort: Any, default: str) -> list[Any]:
    name = getattr(sort, "value", sort) or default
    column_name, _, direction = name.rpartition("_")
    column_name = column_name.lower()
    column = table.c[_SORT_COLUMNS.get(column_name, column_name)]
    if direction == "DESC":
        return [column.desc().nulls_last(), table.c.id.desc()]
    return [column.asc().nulls_last(), table.c.id.asc()]


def driver_values(table: sa.Table) -> Any:
    """A SELECT of ``table``'s rows, every column as the database driver returns it (no
    SQLAlchemy type conversion: on SQLite ids, times and JSON stay text)."""
    raw = sa.types.NullType()
    return sa.select(*(sa.type_coerce(c, raw).label(c.name) for c in table.c))


def driver_values_with_state(run: sa.Table, state: sa.Table) -> tuple[Any, tuple[str, ...]]:
    """``driver_values`` of ``run`` rows with their current ``state`` row (LEFT JOIN on
    ``state_id``), and the names of its columns (the state's prefixed with ``state.``)."""
    raw = sa.types.NullType()
    states = [sa.type_coerce(c, raw).label(f"state.{c.name}") for c in state.c]
    query = driver_values(run).add_columns(*states)
    query = query.select_from(run.outerjoin(state, state.c.id == run.c.state_id))
    return query, tuple(c.name for c in run.c) + tuple(f"state.{c.name}" for c in state.c)


def by_created(sort: Any = None) -> bool:
    """Whether ``sort`` (a run sort; None is the default) orders by ``created``."""
    name = getattr(sort, "value", sort) or "CREATED_DESC"
    return name.startswith("CREATED_")


def flow_order(sort: Any = None) -> list[Any]:
    """ORDER BY of flows for a ``FlowSort`` (default: by name)."""
    return _order(_flow, sort, "NAME_ASC")


def flow_run_order(sort: Any = None) -> list[Any]:
    """ORDER BY of flow runs for a ``FlowRunSort`` (default: newest first)."""
    return _order(_run, sort, "CREATED_DESC")


def task_run_order(sort: Any = None) -> list[Any]:
    """ORDER BY of task runs for a ``TaskRunSort`` (default: newest first)."""
    return _order(_task, sort, "CREATED_DESC")


def log_order(sort: Any = None) -> list[Any]:
    """ORDER BY of logs for a ``LogSort`` (default: oldest first, as Prefect)."""
    return _order(tables.log, sort, "TIMESTAMP_ASC")


def deployment_clauses(criteria: DeploymentCriteria | Criteria) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``deployment`` for the criteria (a deployment matches a run filter
    when one of its runs does)."""
    flow_filter, flow_run_filter = criteria.flows, criteria.flow_runs
    task_run_filter, work_pool_filter = criteria.task_runs, criteria.work_pools
    dep = tables.deployment
    out: list[ColumnElement[bool]] = []
    f = criteria.deployments
    if f is not None:
        inner: list[ColumnElement[bool]] = []
        _ids(dep.c.id, getattr(f, "id", None), inner)
        _ids(dep.c.name, getattr(f, "name", None), inner)
        _tags(dep.c.tags, getattr(f, "tags", None), inner)
        _ids(dep.c.work_queue_name, getattr(f, "work_queue_name", None), inner)
        paused = getattr(f, "paused", None)
        if paused is not None and getattr(paused, "eq_", None) is not None:
            inner.append(dep.c.paused == bool(paused.eq_))
        limit = getattr(f, "concurrency_limit", None)
        if limit is not None:
            if limit.ge_ is not None:
                inner.append(dep.c.concurrency_limit >= limit.ge_)
            if limit.le_ is not None:
                inner.append(dep.c.concurrency_limit <= limit.le_)
            if limit.is_null_ is not None:
                column = dep.c.concurrency_limit
                inner.append(column.is_(None) if limit.is_null_ else column.is_not(None))
        out.extend(_combine(f, inner))
    if flow_filter is not None:
        flows = sa.select(_flow.c.id).where(*flow_clauses(Criteria(flows=flow_filter)))
        out.append(dep.c.flow_id.in_(flows))
    if flow_run_filter is not None or task_run_filter is not None:
        runs = sa.select(_run.c.deployment_id).where(
            *flow_run_clauses(Criteria(flow_runs=flow_run_filter, task_runs=task_run_filter))
        )
        out.append(dep.c.id.in_(runs))
    if work_pool_filter is not None:
        pools = sa.select(tables.work_pool.c.name).where(*work_pool_clauses(work_pool_filter))
        out.append(dep.c.work_pool_name.in_(pools))
    work_queue_filter = getattr(criteria, "work_pool_queues", None)
    if work_queue_filter is not None:
        queues = sa.select(tables.work_queue.c.id).where(*work_queue_clauses(work_queue_filter))
        out.append(dep.c.work_queue_id.in_(queues))
    return out


def deployment_order(sort: Any = None) -> list[Any]:
    """ORDER BY of deployments for a ``DeploymentSort`` (default: by name)."""
    return _order(tables.deployment, sort, "NAME_ASC")


def work_pool_clauses(work_pool_filter: WorkPoolFilter | None = None) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``work_pool`` for a ``WorkPoolFilter`` (id, name, type)."""
    if work_pool_filter is None:
        return []
    pool = tables.work_pool
    inner: list[ColumnElement[bool]] = []
    _ids(pool.c.id, getattr(work_pool_filter, "id", None), inner)
    _ids(pool.c.name, getattr(work_pool_filter, "name", None), inner)
    _ids(pool.c.type, getattr(work_pool_filter, "type", None), inner)
    return _combine(work_pool_filter, inner)


def work_queue_clauses(
    work_queue_filter: WorkQueueFilter | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``work_queue`` for a ``WorkQueueFilter`` (id, name)."""
    if work_queue_filter is None:
        return []
    queue = tables.work_queue
    inner: list[ColumnElement[bool]] = []
    _ids(queue.c.id, getattr(work_queue_filter, "id", None), inner)
    names = getattr(work_queue_filter, "name", None)
    _ids(queue.c.name, names, inner)
    if names is not None and getattr(names, "startswith_", None):
        inner.append(
            sa.or_(*(queue.c.name.startswith(p, autoescape=True) for p in names.startswith_))
        )
    return _combine(work_queue_filter, inner)
