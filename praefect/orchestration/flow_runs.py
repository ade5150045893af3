"""Flow runs: create, read, filter, update, delete, and set their state through the rules.

Every state change happens in the caller's transaction: the rules read the current state, and
the state row, the run's bookkeeping and the event are written together or not at all.

>>> from praefect import database
>>> from praefect.orchestration import flows
>>> from praefect.schemas.states import State
>>> engine = database.get_engine("sqlite:///:memory:")
>>> def demo(conn):
...     run_id = uuid.uuid4()
...     create(conn, {"id": run_id, "name": "r", "flow_id": flows.ensure(conn, "f")})
...     return set_state(conn, run_id, State("RUNNING")).status.value
>>> database.write(engine, demo)
'ACCEPT'
"""

from __future__ import annotations

import datetime as _dt
import functools
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import rows as _rows
from praefect.database import tables
from praefect.orchestration import events, flow_run_inputs, rules
from praefect.orchestration import filters as _filters
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import TERMINAL_STATES, State, StateType, now_utc
from praefect.utilities import names

if TYPE_CHECKING:
    from praefect.orchestration.rules import Run
    from praefect.schemas.queries import FlowRunCriteria, FlowRunQuery

__all__ = [
    "UPDATABLE_FIELDS",
    "count",
    "create",
    "create_or_read",
    "create_run",
    "delete",
    "delete_matching",
    "delete_where",
    "read",
    "read_many",
    "read_many_raw",
    "read_state",
    "read_states",
    "set_state",
    "set_state_matching",
    "update",
    "update_labels",
]

_run = tables.flow_run
_state = tables.flow_run_state
_S = StateType

UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "parameters",
        "tags",
        "flow_version",
        "empirical_policy",
        "infrastructure_pid",
        "heartbeat",
        "hostname",
        "pid",
        "entrypoint",
        "job_variables",
        "work_queue_name",
        "idempotency_key",
        "deployment_id",
        "parent_task_run_id",
    }
)
"""Columns ``update()`` may change; states change only through ``set_state()``."""

_DEFAULT_POLICY = {"retries": 0, "retry_delay": [0.0], "retry_jitter_factor": None}
_COLUMNS = tuple(_run.c.keys())
_NOT_NULL_DEFAULTS = {"run_count": 0, "total_run_time": 0.0, "auto_scheduled": False}

# Statements built once: SQLAlchemy then finds their compiled form in its cache without
# building a new statement (and its cache key) per call.
_SELECT_RUN = sa.select(_run).where(_run.c.id == sa.bindparam("id"))
# Proposals lock the run's row (PostgreSQL; SQLite writers are serialized anyway): two workers
# proposing Pending for one Scheduled run must see each other's answer, not both the old state.
_SELECT_RUN_FOR_UPDATE = _SELECT_RUN.with_for_update()
_SELECT_STATE = sa.select(_state).where(_state.c.id == sa.bindparam("id"))
_UPDATE_RUN = _run.update().where(_run.c.id == sa.bindparam("run_id_"))
# Lists read each run with its current state in one query (the state's columns come after the
# run's), instead of a second query for the states.
_WITH_STATE = sa.select(_run, *_state.c).select_from(
    _run.outerjoin(_state, _state.c.id == _run.c.state_id)
)
_N_RUN = len(_run.c)
_STATE_KEYS = tuple(_state.c.keys())
# The same columns as the driver gives them, for lists that go straight to JSON
_RAW_WITH_STATE, RAW_KEYS = _filters.driver_values_with_state(_run, _state)
"""The values of a ``read_many_raw`` row: the run's columns, then its current state's
(``state.id``, ``state.type``, ...; all None for a run without a state)."""


def _joined_run(row: Any) -> dict[str, Any]:
    values = tuple(row)
    run = dict(zip(_COLUMNS, values[:_N_RUN], strict=True))
    state = dict(zip(_STATE_KEYS, values[_N_RUN:], strict=True))
    run["state"] = State.from_record(state) if state["id"] is not None else None
    return run


def create(conn: Connection, row: Mapping[str, Any]) -> State:
    """Insert a flow run and its first state (``row["state"]``, default Pending), with no rule
    consulted; return the state as written."""
    return create_run(conn, row)["state"]


@overload
def create_run(
    conn: Connection, row: Mapping[str, Any], *, if_absent: Literal[False] = False
) -> dict[str, Any]: ...


@overload
def create_run(
    conn: Connection, row: Mapping[str, Any], *, if_absent: bool
) -> dict[str, Any] | None: ...


def create_run(
    conn: Connection, row: Mapping[str, Any], *, if_absent: bool = False
) -> dict[str, Any] | None:
    """``create``, returning the new run as ``read`` would (with its ``state``), without
    reading it back: one INSERT of the run with its state columns, one of the state, one of
    the event.

    With ``if_absent``, a run whose ``id`` or ``(flow_id, idempotency_key)`` already exists is
    left alone and None is returned: the INSERT itself ignores the unique conflict, so two
    writers racing on the same key (two scheduler replicas) never both create it, and neither
    fails."""
    now = now_utc()
    values: dict[str, Any] = dict.fromkeys(_COLUMNS)
    values.update(_NOT_NULL_DEFAULTS)
    values.update((key, row[key]) for key in row.keys() & values.keys())
    if values["id"] is None:
        values["id"] = uuid.uuid4()
    if values["parameters"] is None:
        values["parameters"] = {}
    if values["tags"] is None:
        values["tags"] = []
    values["empirical_policy"] = {**_DEFAULT_POLICY, **(row.get("empirical_policy") or {})}
    if values["created"] is None:
        values["created"] = now
    values["updated"] = now
    state = _validated_state(values, None, row.get("state") or State(_S.PENDING))
    record = state.to_record()
    record["flow_run_id"] = values["id"]
    values.update(_bookkeeping(values, None, state, now))
    if not _rows.insert(conn, _run, values, if_absent=if_absent):
        return None
    _rows.insert(conn, _state, record)
    _write_event(conn, values, None, state, now)
    values["state"] = State.from_record(record)  # what a read would give back
    return values


def create_or_read(conn: Connection, row: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create a flow run unless it exists: the same ``id``, or the same ``flow_id`` and
    ``idempotency_key``. Return the run (as ``read`` gives it) and whether it was created.

    ``row`` as for ``create`` (``name`` defaults to a random slug). ``FlowNotFound`` when
    ``flow_id`` names no flow. Safe under concurrency on both databases: the INSERT ignores
    the unique conflict (on PostgreSQL it waits for a concurrent twin to commit), then the
    winner's run is read, so racing clients all get the one run and none a conflict error.

    >>> from praefect import database
    >>> from praefect.orchestration import flows
    >>> engine = database.get_engine("sqlite:///:memory:")
    >>> def twice(conn):
    ...     row = {"flow_id": flows.ensure(conn, "f"), "idempotency_key": "k"}
    ...     (first, made), (again, made_again) = create_or_read(conn, row), create_or_read(conn, row)
    ...     return first["id"] == again["id"], made, made_again
    >>> database.write(engine, twice)
    (True, True, False)
    """
    flow_id = row["flow_id"]
    if not _rows.exists(conn, tables.flow, flow_id):
        raise exceptions.FlowNotFound(f"Flow {flow_id} not found (field flow_id).", flow_id=flow_id)
    values = dict(row)
    values["id"] = row.get("id") or uuid.uuid4()
    values["name"] = row.get("name") or names.generate_slug()
    # A twin may be deleted between our conflict and our read: then insert again.
    for _ in range(3):
        created = create_run(conn, values, if_absent=True)
        if created is not None:
            return created, True
        existing = _existing(conn, values)
        if existing is not None:
            return existing, False
    raise exceptions.ObjectAlreadyExists(
        f"Flow run {values['id']} conflicts with a run that keeps changing; try again."
    )


def _existing(conn: Connection, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run a repeated create refers to: the same id, else the same flow and key."""
    found = read(conn, row["id"])
    if found is not None:
        return found
    key = row.get("idempotency_key")
    if key is None:
        return None
    query = sa.select(_run.c.id).where(
        (_run.c.flow_id == row["flow_id"]) & (_run.c.idempotency_key == key)
    )
    run_id = conn.execute(query).scalar()
    return read(conn, run_id) if run_id is not None else None


def read(conn: Connection, flow_run_id: uuid.UUID) -> dict[str, Any] | None:
    """The flow run as a dict (with its current ``state``), or None."""
    row = conn.execute(_SELECT_RUN, {"id": flow_run_id}).mappings().first()
    if row is None:
        return None
    run = dict(row)
    run["state"] = _current_state(conn, run["state_id"])
    return run


def read_many(conn: Connection, query: FlowRunQuery | None = None) -> list[dict[str, Any]]:
    """The flow runs of ``query``'s page (newest first by default; a ``limit`` of None: all),
    each with its current ``state``."""
    statement, params = _many(_WITH_STATE, query or _filters.ALL)
    return [_joined_run(row) for row in conn.execute(statement, params)]


def read_many_raw(conn: Connection, query: FlowRunQuery) -> list[tuple[Any, ...]]:
    """The runs of ``read_many``, each a tuple of the values of ``RAW_KEYS`` as the database
    driver returns them: no Python objects are built (on SQLite ids and times stay text, JSON
    stays text). For writing lists straight to JSON (``praefect.server.api._list_json``)."""
    statement, params = _many(_RAW_WITH_STATE, query)
    return [tuple(row) for row in conn.execute(statement, params)]


def _many(base: Any, query: FlowRunQuery | _filters.Criteria) -> tuple[Any, dict[str, int]]:
    """``base`` (runs with their states) with the query's filters, in order, one page; and the
    statement's parameters."""
    sort, limit, offset = query.sort, query.limit, query.offset
    clauses = _filters.flow_run_clauses(query)
    if not clauses and limit is not None:
        return _page(base, getattr(sort, "value", sort)), {"limit_": limit, "offset_": offset}
    order = _filters.flow_run_order(sort)
    if clauses and not _filters.by_created(sort):
        # Only ``created`` orders the indexes that serve filters ((flow_id, created),
        # (state_type, created)): another order is a sort of every matching run. Sorting their
        # ids, then reading the page's runs with their states, keeps that sort narrow (the
        # newest 50 of a flow's 2,000 runs by expected start: 8 -> 1.3 ms on SQLite).
        page = sa.select(_run.c.id).where(*clauses).order_by(*order)
        page = page.limit(limit).offset(offset or None)
        return base.where(_run.c.id.in_(page)).order_by(*order), {}
    return base.where(*clauses).order_by(*order).limit(limit).offset(offset or None), {}


@functools.cache
def _page(base: Any, sort: str | None) -> Any:
    # An unfiltered page (the newest runs) is one statement per order, built once: building it
    # and its cache key for SQLAlchemy costs ~90 µs a request (every column of ``base``).
    query = base.order_by(*_filters.flow_run_order(sort))
    return query.limit(sa.bindparam("limit_")).offset(sa.bindparam("offset_"))


def count(conn: Connection, criteria: FlowRunCriteria | None = None) -> int:
    """How many flow runs match the criteria."""
    clauses = _filters.flow_run_clauses(criteria or _filters.ALL)
    query = sa.select(sa.func.count()).select_from(_run).where(*clauses)
    return conn.execute(query).scalar_one()


def read_state(conn: Connection, state_id: uuid.UUID) -> State | None:
    """The flow-run state with this id (of any run, current or past), or None."""
    return _current_state(conn, state_id)


def read_states(conn: Connection, flow_run_id: uuid.UUID) -> list[State]:
    """The state history of a flow run, oldest first."""
    query = sa.select(_state).where(_state.c.flow_run_id == flow_run_id)
    rows = conn.execute(query.order_by(_state.c.timestamp, _state.c.id)).mappings()
    return [State.from_record(row) for row in rows]


def update(
    conn: Connection, flow_run_id: uuid.UUID, attempt: int | None = None, **fields: Any
) -> bool:
    """Change plain fields of a flow run (see ``UPDATABLE_FIELDS``).

    ``attempt``: the attempt of the run the change comes from (praefect's heartbeats say it);
    once a newer attempt has started nothing is changed and False is returned, so a replaced
    attempt's heartbeats cannot keep the run looking alive.
    """
    unknown = fields.keys() - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(
            f"Cannot update flow run field(s) {sorted(unknown)}; "
            f"updatable fields are: {', '.join(sorted(UPDATABLE_FIELDS))}."
        )
    statement = _run.update().where(_run.c.id == flow_run_id)
    if attempt:
        statement = statement.where(sa.func.coalesce(_run.c.run_count, 0) <= attempt)
    result = conn.execute(statement.values(updated=now_utc(), **fields))
    if result.rowcount == 0:
        if attempt and read(conn, flow_run_id) is not None:
            return False
        raise exceptions.FlowRunNotFound(
            f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
        )
    return True


def update_labels(conn: Connection, flow_run_id: uuid.UUID, labels: Mapping[str, Any]) -> None:
    """Set these labels on a flow run, keeping its other labels (Prefect's ``PATCH
    /flow_runs/{id}/labels``); ``FlowRunNotFound`` when there is no such run."""
    statement = sa.select(_run.c.labels).where(_run.c.id == flow_run_id).with_for_update()
    found = conn.execute(statement).first()
    if found is None:
        raise exceptions.FlowRunNotFound(
            f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
        )
    merged = {**(found.labels or {}), **labels}
    conn.execute(_UPDATE_RUN, {"run_id_": flow_run_id, "labels": merged, "updated": now_utc()})


def delete(conn: Connection, flow_run_id: uuid.UUID) -> bool:
    """Delete a flow run with its states, task runs (and their states) and logs; return whether
    it existed."""
    return delete_where(conn, _run.c.id == flow_run_id) > 0


def delete_matching(conn: Connection, flow_run_filter: Any, limit: int) -> list[uuid.UUID]:
    """Delete at most ``limit`` flow runs matching ``flow_run_filter`` (oldest first), as
    ``delete`` does; return their ids."""
    clauses = _filters.flow_run_clauses(_filters.Criteria(flow_runs=flow_run_filter))
    query = sa.select(_run.c.id).where(*clauses).order_by(_run.c.created, _run.c.id).limit(limit)
    ids = list(conn.execute(query).scalars())
    if ids:
        delete_where(conn, _filters.in_values(_run.c.id, ids))
    return ids


def delete_where(conn: Connection, where: Any) -> int:
    """Delete the flow runs matching ``where`` (a clause on ``flow_run``) with their states,
    task runs (and their states) and logs; return how many runs were deleted."""
    runs = sa.select(_run.c.id).where(where)
    task = tables.task_run
    tasks = sa.select(task.c.id).where(task.c.flow_run_id.in_(runs))
    trs = tables.task_run_state
    conn.execute(trs.delete().where(trs.c.task_run_id.in_(tasks)))
    conn.execute(task.delete().where(task.c.flow_run_id.in_(runs)))
    conn.execute(tables.log.delete().where(tables.log.c.flow_run_id.in_(runs)))
    flow_run_inputs.delete_of_runs(conn, runs)
    conn.execute(_state.delete().where(_state.c.flow_run_id.in_(runs)))
    return conn.execute(_run.delete().where(where)).rowcount


def set_state_matching(
    conn: Connection, flow_run_filter: Any, state: State, force: bool, limit: int
) -> list[tuple[uuid.UUID, OrchestrationResult]]:
    """Propose ``state`` for at most ``limit`` flow runs matching ``flow_run_filter`` (oldest
    first), each as ``set_state`` does; return each run's id with the answer."""
    clauses = _filters.flow_run_clauses(_filters.Criteria(flow_runs=flow_run_filter))
    query = sa.select(_run.c.id).where(*clauses).order_by(_run.c.created, _run.c.id).limit(limit)
    ids = list(conn.execute(query).scalars())
    return [(run_id, set_state(conn, run_id, state.fresh_copy(), force)) for run_id in ids]


def set_state(
    conn: Connection,
    flow_run_id: uuid.UUID,
    state: State,
    force: bool = False,
    now: _dt.datetime | None = None,
) -> OrchestrationResult:
    """Propose ``state`` for a flow run: the rules (``rules.FLOW_POLICY``, or the minimal policy
    when ``force``) decide, and the winning state is written with its bookkeeping and event."""
    now = now or now_utc()
    run = conn.execute(_SELECT_RUN_FOR_UPDATE, {"id": flow_run_id}).mappings().first()
    if run is None:
        raise exceptions.FlowRunNotFound(
            f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
        )
    initial = _current_state(conn, run["state_id"])
    ctx = rules.TransitionContext(run, initial, state, now)
    rules.apply_policy(rules.MINIMAL_FLOW_POLICY if force else rules.FLOW_POLICY, ctx)
    current = initial
    if ctx.state is not None:
        current = _record_state(conn, run, initial, ctx.state, now, ctx.run_changes)
    return OrchestrationResult.of(ctx.status, current, ctx.reason, ctx.delay)


def _current_state(conn: Connection, state_id: uuid.UUID | None) -> State | None:
    if state_id is None:
        return None
    row = conn.execute(_SELECT_STATE, {"id": state_id}).mappings().first()
    return State.from_record(row) if row is not None else None


def _record_state(
    conn: Connection,
    run: Run,
    initial: State | None,
    proposed: State,
    now: _dt.datetime,
    changes: Mapping[str, Any] | None = None,
) -> State:
    state = _validated_state(run, initial, proposed)
    values = _bookkeeping(run, initial, state, now)
    if changes:
        values.update(changes)
    if state.type is _S.RUNNING:
        values.update(_attempt(state, values.get("run_count", run.get("run_count")), now))
    record = state.to_record()
    record["flow_run_id"] = run["id"]
    _rows.insert(conn, _state, record)
    conn.execute(_UPDATE_RUN, {**values, "run_id_": run["id"]})
    _write_event(conn, run, initial, state, now, values.get("run_count", run.get("run_count")))
    return state


def _attempt(state: State, run_count: int | None, now: _dt.datetime) -> dict[str, Any]:
    """What entering Running records: the attempt's number (the fencing token its later
    proposals carry) in the state's details, and on the run the process that runs it (from
    the proposal's ``hostname`` and ``pid`` details) with a fresh heartbeat, so the crash check
    watches this attempt's process, not an earlier one's."""
    details = state.state_details
    details["attempt"] = run_count or 0
    values: dict[str, Any] = {"heartbeat": now}
    if details.get("pid") is not None:
        values["pid"] = details["pid"]
        values["hostname"] = details.get("hostname")
    return values


def _validated_state(run: Run, initial: State | None, proposed: State) -> State:
    """The state to store: a copy of ``proposed`` with the run's id, a timestamp after the
    current state's and the scheduled time it implies."""
    state = proposed.copy()
    details = state.state_details
    details["flow_run_id"] = run["id"]
    if initial is not None and state.timestamp <= initial.timestamp:
        # The history is ordered by timestamp: keep it strictly increasing.
        state.timestamp = initial.timestamp + _dt.timedelta(microseconds=1)
    if state.type is _S.SCHEDULED and details.get("scheduled_time") is None:
        details["scheduled_time"] = state.timestamp
    if (
        state.type is _S.PENDING
        and initial is not None
        and initial.type is _S.SCHEDULED
        and details.get("scheduled_time") is None
    ):
        details["scheduled_time"] = initial.state_details.get("scheduled_time")
    return state


def _write_event(
    conn: Connection,
    run: Run,
    initial: State | None,
    state: State,
    now: _dt.datetime,
    run_count: int | None = None,
) -> None:
    related = events.flow_run_related(conn, run)
    event = events.state_change_event("flow-run", run, initial, state, related, now, run_count)
    events.ingest(conn, [event], skip_existing=False)


def _bookkeeping(
    run: Run, initial: State | None, state: State, now: _dt.datetime
) -> dict[str, Any]:
    kind = state.type
    values: dict[str, Any] = {
        "state_id": state.id,
        "state_type": kind.value,
        "state_name": state.name,
        "state_timestamp": state.timestamp,
        "updated": now,
    }
    initial_kind = initial.type if initial is not None else None
    if (
        kind is _S.PENDING
        and initial_kind not in (None, _S.PENDING)
        and run.get("infrastructure_pid")
    ):
        # a new claim: the infrastructure of an earlier one is not this attempt's
        values["infrastructure_pid"] = None
    policy = run.get("empirical_policy") or {}
    if kind is _S.RUNNING and policy.get("resuming"):
        # a suspended run re-run after its resume: the same attempt goes on
        values["empirical_policy"] = {**policy, "resuming": False}
    elif kind is _S.RUNNING and initial_kind not in (_S.RUNNING, _S.PAUSED):
        values["run_count"] = (run.get("run_count") or 0) + 1
    if kind is _S.RUNNING and run.get("start_time") is None:
        values["start_time"] = state.timestamp
    if initial is not None and initial.type is _S.RUNNING:
        elapsed = (state.timestamp - initial.timestamp).total_seconds()
        values["total_run_time"] = (run.get("total_run_time") or 0.0) + max(elapsed, 0.0)
    if kind in TERMINAL_STATES:
        values["end_time"] = state.timestamp
    elif run.get("end_time") is not None:
        values["end_time"] = None
    scheduled = rules.scheduled_time_of(state) if kind is _S.SCHEDULED else None
    values["next_scheduled_start_time"] = scheduled
    if run.get("expected_start_time") is None:
        values["expected_start_time"] = scheduled or state.timestamp
    return values


def _with_states(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    runs = [dict(row) for row in rows]
    ids = [run["state_id"] for run in runs if run["state_id"] is not None]
    states: dict[uuid.UUID, State] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(_state).where(_state.c.id.in_(ids[start : start + 500]))
        for row in conn.execute(query).mappings():
            states[row["id"]] = State.from_record(row)
    for run in runs:
        run["state"] = states.get(run["state_id"])
    return runs
