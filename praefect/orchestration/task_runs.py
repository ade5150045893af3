"""Task runs: the batched write path fed by the client's write-behind queue, and reads.

Task-run transitions are orchestrated client-side, so the store only records them. The write
path runs once per batch of thousands of rows: it skips SQLAlchemy's per-row processing and
hands plain tuples to the driver's ``executemany``, with SQL compiled once per dialect.
"""

from __future__ import annotations

import datetime as _dt
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import bulk, tables, types
from praefect.orchestration import automation_triggers, event_shape
from praefect.orchestration import filters as _filters
from praefect.schemas import _results
from praefect.schemas.states import State, StateType, now_utc

if TYPE_CHECKING:
    from praefect.schemas.queries import TaskRunCriteria, TaskRunQuery

__all__ = [
    "RAW_KEYS",
    "count",
    "delete",
    "insert_sqlite",
    "read",
    "read_by_ids",
    "read_many",
    "read_many_raw",
    "read_state",
    "read_states",
    "rename",
    "require_flow_runs",
    "report_stale",
    "stale_cutoffs",
    "write_batch",
]

_log = logging.getLogger("praefect.orchestration.task_runs")
_run = tables.task_run
_state = tables.task_run_state
_event = tables.event

_RUN_COLUMNS = (
    "id",
    "created",
    "updated",
    "name",
    "flow_run_id",
    "task_key",
    "dynamic_key",
    "task_version",
    "cache_key",
    "cache_expiration",
    "task_inputs",
    "flow_run_run_count",
    "state_id",
    "state_type",
    "state_name",
    "state_timestamp",
    "run_count",
    "expected_start_time",
    "next_scheduled_start_time",
    "start_time",
    "end_time",
    "total_run_time",
    "empirical_policy",
    "tags",
)
_STATE_COLUMNS = (
    "id",
    "task_run_id",
    "type",
    "name",
    "timestamp",
    "message",
    "state_details",
    "data",
)
_EVENT_COLUMNS = (
    "id",
    "occurred",
    "event",
    "resource_id",
    "resource",
    "related",
    "payload",
    "received",
)
_compiled: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}


def _state_rank(table: str) -> str:
    return (
        f"CASE {table}.state_type WHEN 'SCHEDULED' THEN 0 WHEN 'PENDING' THEN 1"
        " WHEN 'RUNNING' THEN 2 WHEN 'PAUSED' THEN 2 WHEN 'CANCELLING' THEN 3 ELSE 4 END"
    )


NEWER_STATE_SQL = (
    "task_run.state_timestamp IS NULL OR (excluded.state_timestamp, "
    + _state_rank("excluded")
    + ", excluded.state_id) >= (task_run.state_timestamp, "
    + _state_rank("task_run")
    + ", task_run.state_id)"
)
"""The condition under which a stored task run takes an incoming row (an upsert's ``WHERE``):
its state is as new or newer, by state time, then state type (Pending before Running before a
final state), then state id. Batches may arrive in any order (two processes delivering one
spool, a batch sent again), so a run's current state and the fields that go with it (end time,
run count) never go back to an older state; the state history keeps every state whatever the
order. A row without a state changes only a run that has none either."""

_RUN_CONFLICT_SQL = (
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS if c not in ("id", "created"))
    + " WHERE "
    + NEWER_STATE_SQL
)
# The same columns as the driver gives them, for lists that go straight to JSON
_RAW_WITH_STATE, RAW_KEYS = _filters.driver_values_with_state(_run, _state)
"""The values of a ``read_many_raw`` row: the run's columns, then its current state's
(``state.id``, ``state.type``, ...; all None for a run without a state)."""


def _sql(conn: Connection, name: str) -> tuple[str, tuple[str, ...] | None]:
    """SQL text for ``name`` on this dialect, and the parameter names when they are named."""
    key = (conn.dialect.name, name)
    cached = _compiled.get(key)
    if cached is None:
        columns: tuple[str, ...]
        if name == "run":
            statement = _filters.upsert(
                conn,
                _run,
                ["id"],
                exclude_on_update={"id", "created"},
                where=sa.text(NEWER_STATE_SQL),
            )
            columns = _RUN_COLUMNS
        elif name == "state":
            statement, columns = _state.insert(), _STATE_COLUMNS
        else:
            statement, columns = _event.insert(), _EVENT_COLUMNS
        compiled = statement.compile(dialect=conn.dialect, column_keys=list(columns))
        names = None if compiled.positional else tuple(columns)
        if compiled.positional and tuple(compiled.positiontup) != tuple(columns):
            raise RuntimeError(f"unexpected parameter order for {name}: {compiled.positiontup}")
        cached = _compiled[key] = (compiled.string, names)
    return cached


_UNNEST = {
    "run": (_run, _RUN_COLUMNS, _RUN_CONFLICT_SQL),
    "state": (_state, _STATE_COLUMNS, ""),
    "event": (_event, _EVENT_COLUMNS, ""),
}


def _execute(conn: Connection, name: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # one statement per batch: each column goes as an array (``database.bulk``)
        table, columns, suffix = _UNNEST[name]
        bulk.unnest_insert(conn, table, columns, rows, suffix)
        return
    sql, names = _sql(conn, name)
    if names is not None:
        conn.exec_driver_sql(sql, [dict(zip(names, row, strict=True)) for row in rows])
        return
    conn.exec_driver_sql(sql, rows)


def write_batch(
    conn: Connection,
    items: Iterable[tuple[Mapping[str, Any], State | None]],
    last_states: Mapping[Any, tuple[str, str]] | None = None,
) -> None:
    """Upsert task runs and insert their new states and state-change events.

    ``items`` are ``(row, state)`` pairs in the order they happened; the last row of an id wins.
    An event's id is its state's id (one event per state row), and it says which state the run
    came from. On SQLite that is the run's previous state row in the database, and the events are
    built by SQLite from the state and run rows just written; elsewhere ``last_states`` maps a task
    run id to the ``(type, name)`` of its latest state recorded by an earlier batch (a hint from
    the client's writer: runs it does not name are looked up in the database).
    """
    if not isinstance(items, list):
        items = list(items)
    attempts = {(row.get("flow_run_id"), row.get("flow_run_run_count")) for row, _ in items}
    run_counts = require_flow_runs(conn, {flow_run_id for flow_run_id, _ in attempts})
    cutoffs = stale_cutoffs(conn, run_counts, attempts)
    if cutoffs:
        kept = [(row, state) for row, state in items if _current(row, state, cutoffs)]
        report_stale(len(items) - len(kept), cutoffs)
        items = kept
        if not items:
            return
    if conn.dialect.name == "sqlite":
        _write_sqlite(conn, items)
    else:
        _write_generic(conn, items, last_states)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def require_flow_runs(conn: Connection, flow_run_ids: Iterable[Any]) -> dict[uuid.UUID, int]:
    """Raise ``FlowRunNotFound`` when a flow run of ``flow_run_ids`` (UUIDs or their text;
    None, a task run outside any flow run, is skipped) does not exist: a task run may only
    name a flow run that was created first. One indexed lookup per batch. Returns each flow
    run's ``run_count`` (the number of its current attempt)."""
    wanted = {_uuid(value) for value in flow_run_ids if value is not None}
    if not wanted:
        return {}
    flow_run = tables.flow_run
    query = sa.select(flow_run.c.id, flow_run.c.run_count).where(flow_run.c.id.in_(wanted))
    found: dict[uuid.UUID, int] = {fid: count or 0 for fid, count in conn.execute(query)}
    missing = sorted(str(value) for value in wanted - found.keys())
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise exceptions.FlowRunNotFound(
            f"Flow run {shown} not found: task runs may only name an existing flow run "
            "(create the flow run first; a task run outside any flow run has no flow_run_id).",
            flow_run_id=uuid.UUID(missing[0]),
            flow_run_ids=[uuid.UUID(value) for value in missing],
        )
    return found


_Attempt = tuple[uuid.UUID, int]
"""A flow run and the number of one of its attempts."""


def stale_cutoffs(
    conn: Connection, run_counts: Mapping[uuid.UUID, int], attempts: Iterable[tuple[Any, Any]]
) -> dict[_Attempt, _dt.datetime]:
    """For each attempt of ``attempts`` (the ``flow_run_id`` and ``flow_run_run_count`` of
    task runs being written) older than its flow run's current attempt (``run_counts``, as
    ``require_flow_runs`` returns them): when the attempt after it started (the time of its
    Running state). A task-run state of that attempt stamped at or after this time was
    written by an attempt that had been replaced, and is not recorded; what it wrote before is
    history. Attempt 0 (a client that does not say, as Prefect's) is never stale. No query
    unless a stale attempt writes."""
    stale = set()
    for flow_run_id, attempt in attempts:
        if flow_run_id is not None and attempt:
            key = (_uuid(flow_run_id), attempt)
            if attempt < run_counts.get(key[0], 0):
                stale.add(key)
    if not stale:
        return {}
    fs = tables.flow_run_state
    query = sa.select(fs.c.flow_run_id, fs.c.timestamp, fs.c.state_details).where(
        fs.c.flow_run_id.in_({flow_run_id for flow_run_id, _ in stale}),
        fs.c.type == StateType.RUNNING.value,
    )
    starts = [
        (fid, at, (details or {}).get("attempt") or 0) for fid, at, details in conn.execute(query)
    ]
    cutoffs: dict[_Attempt, _dt.datetime] = {}
    for flow_run_id, attempt in stale:
        later = [at for fid, at, number in starts if fid == flow_run_id and number > attempt]
        if later:
            cutoffs[flow_run_id, attempt] = min(later)
    return cutoffs


def report_stale(dropped: int, cutoffs: Mapping[_Attempt, _dt.datetime]) -> None:
    """Log that ``dropped`` task-run writes of the replaced attempts of ``cutoffs`` were not
    recorded."""
    if dropped:
        attempts = ", ".join(f"attempt {n} of flow run {fid}" for fid, n in sorted(cutoffs))
        _log.warning(
            "Did not record %d task-run write(s) made after their attempt was replaced (%s).",
            dropped,
            attempts,
        )


def _current(
    row: Mapping[str, Any], state: State | None, cutoffs: Mapping[_Attempt, _dt.datetime]
) -> bool:
    """Whether a task-run write is not a replaced attempt's (see ``stale_cutoffs``); a row
    without a state, which has no time, is one when its attempt is stale."""
    flow_run_id = row.get("flow_run_id")
    if flow_run_id is None:
        return True
    cutoff = cutoffs.get((_uuid(flow_run_id), row.get("flow_run_run_count") or 0))
    if cutoff is None:
        return True
    return state is not None and state.timestamp < cutoff


# -- SQLite: multi-row INSERTs with cheap raw values, events built by SQLite ------------------
#
# Python hands SQLite a state's id as 32 hex digits and its times as integer microseconds
# (several times cheaper than ``str(uuid)`` and ``datetime.isoformat``), and SQLite formats them.
# Rows go in multi-row INSERTs (``database.bulk``). Events never exist in Python: one
# INSERT ... SELECT builds them (in the JSON of ``event_shape``) from the state rows of this
# batch, which are the ``task_run_state`` rows after the largest rowid before the batch (rowids
# grow in insertion order, and the write transaction is the only writer); the "from" state is
# the previous row of the same run.

_EPOCH = types._EPOCH
_US = types._US
_PLAIN = frozenset({int, float, str, bool})

_STATE_VALUES = ("U", "", "", "", "T", "", "", "")
_RUN_VALUES = (
    "",  # id
    "T!",  # created (NULL: now)
    "now",  # updated
    "",  # name
    "",  # flow_run_id
    "",  # task_key
    "",  # dynamic_key
    "",  # task_version
    "",  # cache_key
    "T",  # cache_expiration
    "",  # task_inputs
    "",  # flow_run_run_count
    "U",  # state_id
    "",  # state_type
    "",  # state_name
    "T",  # state_timestamp
    "",  # run_count
    "T",  # expected_start_time
    "null",  # next_scheduled_start_time
    "T",  # start_time
    "T",  # end_time
    "",  # total_run_time
    "",  # empirical_policy
    "",  # tags
)
_TASK_RUN = "task-run"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _related_sql(id_sql: str, role: str) -> str:
    return event_shape.sql(event_shape.RELATED, id=f"json_quote({id_sql})", role=f"'\"{role}\"'")


# the parts of _EVENT_SQL, each a SQL expression giving its JSON text (event_shape's shapes)
_RUN_ID_SQL = _literal(event_shape.resource_id(_TASK_RUN, "")) + " || s.task_run_id"
_FLOW_RUN_SQL = _related_sql(
    _literal(event_shape.resource_id("flow-run", "")) + " || r.flow_run_id", "flow-run"
)
_TAG_SQL = _related_sql(_literal(event_shape.resource_id("tag", "")) + " || value", "tag")
_RESOURCE_SQL = event_shape.sql(
    event_shape.RESOURCE,
    resource_id=f"json_quote({_RUN_ID_SQL})",
    run_name="json_quote(r.name)",
    state_message="json_quote(coalesce(s.message, ''))",
    state_name="json_quote(s.name)",
    state_timestamp="json_quote(replace(s.timestamp, ' ', 'T') || '+00:00')",
    state_type="json_quote(s.type)",
)
_PAYLOAD_SQL = event_shape.sql(
    event_shape.PAYLOAD,
    from_type="json_quote(s.prev_type)",
    to_type="json_quote(s.type)",
    initial_state="CASE WHEN s.prev_type IS NULL THEN 'null' ELSE "
    + event_shape.sql(
        event_shape.STATE,
        type="json_quote(s.prev_type)",
        name="json_quote(s.prev_name)",
        message="'\"\"'",
    )
    + " END",
    validated_state=event_shape.sql(
        event_shape.STATE,
        type="json_quote(s.type)",
        name="json_quote(s.name)",
        message="json_quote(coalesce(s.message, ''))",
    ),
)
_EVENT_SQL = f"""
INSERT INTO event (id, occurred, event, resource_id, resource, related, payload, received)
SELECT s.id, s.timestamp, {_literal(event_shape.event_name(_TASK_RUN, ""))} || s.name,
  {_RUN_ID_SQL}, {_RESOURCE_SQL},
  CASE WHEN r.tags = '[]' THEN
    CASE WHEN r.flow_run_id IS NULL THEN '[]' ELSE '[' || {_FLOW_RUN_SQL} || ']' END
  ELSE '[' || coalesce((SELECT group_concat(x, ',') FROM (
    SELECT {_FLOW_RUN_SQL} AS x WHERE r.flow_run_id IS NOT NULL
    UNION ALL
    SELECT {_TAG_SQL} FROM json_each(r.tags))), '') || ']'
  END,
  {_PAYLOAD_SQL},
  ?1
FROM (
  SELECT rowid AS rid, id, task_run_id, type, name, timestamp, message,
    lag(type) OVER w AS prev_type, lag(name) OVER w AS prev_name
  FROM task_run_state
  WHERE task_run_id IN (SELECT task_run_id FROM task_run_state WHERE rowid > ?2)
  WINDOW w AS (PARTITION BY task_run_id ORDER BY rowid)
) AS s
JOIN task_run AS r ON r.id = s.task_run_id
WHERE s.rid > ?2
ORDER BY s.rid
"""
_sqlite_sql: dict[tuple[str, int, bool], str] = {}
_STATE_WIDTH = len(_STATE_VALUES)
_RUN_WIDTH = sum(1 for kind in _RUN_VALUES if kind not in ("now", "null"))
_EVENT_VALUES = ("U", "T", "", "", "", "", "", "now")
_EVENT_WIDTH = len(_EVENT_VALUES) - 1
# the same columns given as their stored text (ids, times), the NULL ``created`` still "now"
_AS_TEXT = {"U": "", "T": "", "T!": "!"}


def _insert_sql(name: str, rows: int, text: bool) -> str:
    sql = _sqlite_sql.get((name, rows, text))
    if sql is None:
        table, columns, kinds = {
            "run": ("task_run", _RUN_COLUMNS, _RUN_VALUES),
            "state": ("task_run_state", _STATE_COLUMNS, _STATE_VALUES),
            "event": ("event", _EVENT_COLUMNS, _EVENT_VALUES),
        }[name]
        if text:
            kinds = tuple(_AS_TEXT.get(kind, kind) for kind in kinds)
        sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES {bulk.values_sql(kinds, rows)}"
        if name == "run":
            sql += " " + _RUN_CONFLICT_SQL
        _sqlite_sql[(name, rows, text)] = sql
    return sql


def _write_sqlite(
    conn: Connection, items: Iterable[tuple[Mapping[str, Any], State | None]]
) -> None:
    dumps = types.dumps
    epoch, us = _EPOCH, _US
    to_us = types.epoch_us
    plain = _PLAIN
    now = types._sqlite_text(now_utc())
    # per task run (keyed by the UUID's int: UUID.__hash__ is Python code): id text, standard
    # details JSON; latest: row, state, state id hex, state time
    per_run: dict[Any, tuple[str, Any, str | None]] = {}
    latest: dict[Any, tuple[Mapping[str, Any], State | None, str | None, int | None]] = {}
    flow_obj: Any = None
    flow_text: str | None = None
    states: list[Any] = []
    extend = states.extend
    for row, state in items:
        run_id = row["id"]
        try:
            key = run_id.int
        except AttributeError:
            run_id = uuid.UUID(str(run_id))
            key = run_id.int
        if state is None:
            previous = latest.get(key)
            latest[key] = (row, None, None, None) if previous is None else (row, *previous[1:])
            continue
        strings = per_run.get(key)
        if strings is None:
            sid = str(run_id)
            flow_run_id = row.get("flow_run_id")
            if flow_run_id is not flow_obj:
                flow_obj = flow_run_id
                flow_text = None if flow_run_id is None else str(flow_run_id)
            standard = (
                None
                if flow_text is None
                else f'{{"task_run_id":"{sid}","flow_run_id":"{flow_text}"}}'
            )
            strings = per_run[key] = (sid, flow_run_id, standard)
        sid = strings[0]
        state_hex = "%032x" % state.id.int  # noqa: UP031 (faster than format())
        try:
            stamp = (state.timestamp - epoch) // us
        except TypeError:
            stamp = to_us(state.timestamp)
        latest[key] = (row, state, state_hex, stamp)
        details = state.state_details
        standard = strings[2]
        if not details:
            details_json = "{}"
        elif (
            len(details) == 2
            and details.get("task_run_id") is run_id
            and details.get("flow_run_id") is strings[1]
            and standard is not None
            and next(iter(details)) == "task_run_id"
        ):
            details_json = standard
        else:
            details_json = dumps(_results.jsonable_details(details))
        data = state.data
        if data is not None and data.__class__ not in plain:
            data = _data_json(data)
        else:
            data = None
        extend(
            (
                state_hex,
                sid,
                state.type._value_,
                state.name,
                stamp,
                state.message,
                details_json,
                data,
            )
        )
    if not latest:
        return
    policies: dict[int, str] = {}
    runs: list[Any] = []
    extend = runs.extend
    for key, (row, last_state, last_hex, last_stamp) in latest.items():
        get = row.get
        strings = per_run.get(key)
        sid = str(row["id"]) if strings is None else strings[0]
        flow_run_id = get("flow_run_id")
        if flow_run_id is not flow_obj:
            flow_obj = flow_run_id
            flow_text = None if flow_run_id is None else str(flow_run_id)
        created = get("created")
        if created is not None:
            created_us = to_us(created)
        expected = get("expected_start_time")
        if expected is not None:
            expected = created_us if expected is created else to_us(expected)
        policy = get("empirical_policy")
        # Rows of one task usually share their policy dict; all are alive during the batch.
        policy_json = policies.get(id(policy))
        if policy_json is None:
            policy_json = policies[id(policy)] = dumps(policy) if policy else "{}"
        task_inputs = get("task_inputs")
        tags = get("tags")
        cache_expiration = get("cache_expiration")
        start_time = get("start_time")
        end_time = get("end_time")
        extend(
            (
                sid,
                None if created is None else created_us,
                row["name"],
                flow_text,
                get("task_key") or row["name"],
                str(get("dynamic_key", "0")),
                get("task_version"),
                get("cache_key"),
                None if cache_expiration is None else to_us(cache_expiration),
                dumps(task_inputs) if task_inputs else "{}",
                get("flow_run_run_count") or 0,
                last_hex,
                None if last_state is None else last_state.type._value_,
                None if last_state is None else last_state.name,
                last_stamp,
                get("run_count") or 0,
                expected,
                None if start_time is None else to_us(start_time),
                None if end_time is None else to_us(end_time),
                float(get("total_run_time") or 0.0),
                policy_json,
                dumps(tags) if tags else "[]",
            )
        )
    insert_sqlite(conn, runs, states, now)


def insert_sqlite(
    conn: Connection,
    runs: list[Any],
    states: list[Any],
    now: str,
    events: list[Any] | None = None,
    text: bool = False,
) -> None:
    """Upsert the task runs and insert the states given as flat lists of values (a row after
    the other, columns as ``_RUN_VALUES`` and ``_STATE_VALUES`` take them: ids as 32 hex digits
    and times as epoch microseconds, or with ``text`` both as their stored text), then the
    states' events: ``events`` (columns as ``_EVENT_VALUES``, exactly what ``_EVENT_SQL`` would
    build) or, when None, built by SQLite; ``now`` is the stored text of the time of writing."""
    if states and events is None:
        before = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM task_run_state").scalar()
    weigh = bool(states) and automation_triggers.wants(conn, _EVENT_PREFIX)
    if weigh:
        last_event = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM event").scalar()

    def sql_for(name: str) -> Callable[[int], str]:
        return lambda rows: _insert_sql(name, rows, text)

    bulk.insert_chunks(conn, sql_for("run"), _RUN_WIDTH, runs, now)
    if states:
        bulk.insert_chunks(conn, sql_for("state"), _STATE_WIDTH, states, now)
        if events is None:
            conn.exec_driver_sql(_EVENT_SQL, (now, before))
        else:
            bulk.insert_chunks(conn, sql_for("event"), _EVENT_WIDTH, events, now)
    if weigh:
        _weigh(conn, sa.literal_column("rowid") > last_event)


# -- other databases (PostgreSQL): SQLAlchemy-compiled statements, events built in Python -----


def _write_generic(
    conn: Connection,
    items: Iterable[tuple[Mapping[str, Any], State | None]],
    last_states: Mapping[Any, tuple[str, str]] | None,
) -> None:
    ts = types.timestamp_converter(conn.dialect.name)
    dumps = types.dumps
    now_db = ts(now_utc())
    items = list(items)
    last_states = _previous_states(conn, items, last_states or {})
    seen: dict[Any, tuple[str, str]] = {}
    latest: dict[Any, tuple[Mapping[str, Any], State | None]] = {}
    per_run: dict[Any, tuple[str, str, str]] = {}
    names: dict[str, str] = {}
    state_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    for row, state in items:
        run_id = row["id"]
        if state is None:
            earlier = latest.get(run_id)
            latest[run_id] = (row, earlier[1] if earlier is not None else None)
            continue
        latest[run_id] = (row, state)
        strings = per_run.get(run_id)
        if strings is None:
            sid = str(run_id)
            strings = per_run[run_id] = (
                sid,
                event_shape.resource_id(_TASK_RUN, sid),
                _related(row),
            )
        sid, resource_id, related = strings
        state_id = str(state.id)
        kind = state.type.value
        name = state.name
        name_json = names.get(name)
        if name_json is None:
            name_json = names[name] = dumps(name)
        stamp = ts(state.timestamp)
        message = state.message
        details = state.state_details
        data = state.data
        state_rows.append(
            (
                state_id,
                sid,
                kind,
                name,
                stamp,
                message,
                dumps(_results.jsonable_details(details)) if details else "{}",
                None if data is None else _data_json(data),
            )
        )
        message_json = dumps(message or "")
        previous = seen.get(run_id) or last_states.get(run_id)
        seen[run_id] = (kind, name)
        kind_json = f'"{kind}"'
        if previous is None:
            from_json = initial_json = "null"
        else:
            from_json = f'"{previous[0]}"'
            initial_json = event_shape.STATE_JSON % (from_json, dumps(previous[1]), '""')
        event_rows.append(
            (
                state_id,
                stamp,
                event_shape.event_name(_TASK_RUN, name),
                resource_id,
                event_shape.RESOURCE_JSON
                % (
                    f'"{resource_id}"',
                    dumps(row["name"]),
                    message_json,
                    name_json,
                    f'"{event_shape.iso_timestamp(state.timestamp)}"',
                    kind_json,
                ),
                related,
                event_shape.PAYLOAD_JSON
                % (
                    from_json,
                    kind_json,
                    initial_json,
                    event_shape.STATE_JSON % (kind_json, name_json, message_json),
                ),
                now_db,
            )
        )
    policies: dict[int, str] = {}
    run_rows = []
    for row, state in latest.values():
        get = row.get
        flow_run_id = get("flow_run_id")
        created = get("created")
        policy = get("empirical_policy")
        # Rows of one task usually share their policy dict; all are alive during the batch.
        policy_json = policies.get(id(policy))
        if policy_json is None:
            policy_json = policies[id(policy)] = dumps(policy) if policy else "{}"
        task_inputs = get("task_inputs")
        tags = get("tags")
        strings = per_run.get(row["id"])
        run_rows.append(
            (
                strings[0] if strings is not None else str(row["id"]),
                ts(created) if created is not None else now_db,
                now_db,
                row["name"],
                None if flow_run_id is None else str(flow_run_id),
                get("task_key") or row["name"],
                str(get("dynamic_key", "0")),
                get("task_version"),
                get("cache_key"),
                ts(get("cache_expiration")),
                dumps(task_inputs) if task_inputs else "{}",
                get("flow_run_run_count") or 0,
                None if state is None else str(state.id),
                None if state is None else state.type.value,
                None if state is None else state.name,
                None if state is None else ts(state.timestamp),
                get("run_count") or 0,
                ts(get("expected_start_time")),
                None,
                ts(get("start_time")),
                ts(get("end_time")),
                float(get("total_run_time") or 0.0),
                policy_json,
                dumps(tags) if tags else "[]",
            )
        )
    _execute(conn, "run", run_rows)
    _execute(conn, "state", state_rows)
    _execute(conn, "event", event_rows)
    if event_rows and automation_triggers.wants(conn, _EVENT_PREFIX):
        _weigh(conn, _event.c.id.in_([uuid.UUID(str(row[0])) for row in event_rows]))


_EVENT_PREFIX = event_shape.event_name(_TASK_RUN, "")


def _weigh(conn: Connection, where: Any) -> None:
    """Weigh the task-run events just stored (``where``) against the automations, as
    ``events.ingest`` does for the events stored from Python."""
    from praefect.orchestration import events

    rows = [dict(row) for row in conn.execute(sa.select(_event).where(where)).mappings()]
    emitted = automation_triggers.evaluate(conn, rows)
    if emitted:
        events.ingest(conn, emitted, skip_existing=False)


def _previous_states(
    conn: Connection,
    items: list[tuple[Mapping[str, Any], State | None]],
    known: Mapping[Any, tuple[str, str]],
) -> Mapping[Any, tuple[str, str]]:
    """``known``, completed with the stored current state of each run of ``items`` with a new
    state that ``known`` does not name (one query; none when every run is known)."""
    missing = {row["id"] for row, state in items if state is not None and row["id"] not in known}
    if not missing:
        return known
    found = dict(known)
    ids = list(missing)
    for start in range(0, len(ids), 1000):
        query = sa.select(_run.c.id, _run.c.state_type, _run.c.state_name).where(
            _run.c.id.in_(ids[start : start + 1000]), _run.c.state_type.is_not(None)
        )
        for run_id, kind, name in conn.execute(query):
            found[run_id] = (kind, name)
    # rows may carry their ids as text: look those up by the UUID the database gave back
    for run_id in ids:
        if run_id not in found and not isinstance(run_id, uuid.UUID):
            try:
                stored = found.get(uuid.UUID(str(run_id)))
            except ValueError:
                continue
            if stored is not None:
                found[run_id] = stored
    return found


def _data_json(data: Any) -> str | None:
    reference = _results.data_reference(data)
    return None if reference is None else types.dumps(reference)


def _related(row: Mapping[str, Any]) -> str:
    flow_run_id = row.get("flow_run_id")
    related = event_shape.RELATED_JSON
    parts = []
    if flow_run_id is not None:
        flow_run = event_shape.resource_id("flow-run", flow_run_id)
        parts.append(related % (f'"{flow_run}"', '"flow-run"'))
    for tag in row.get("tags") or ():
        parts.append(related % (types.dumps(event_shape.resource_id("tag", tag)), '"tag"'))
    return "[" + ",".join(parts) + "]"


def read(conn: Connection, task_run_id: uuid.UUID) -> dict[str, Any] | None:
    """The task run as a dict (with its current ``state``), or None."""
    row = conn.execute(sa.select(_run).where(_run.c.id == task_run_id)).mappings().first()
    return _with_states(conn, [row])[0] if row is not None else None


def read_by_ids(conn: Connection, task_run_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The task runs with these ids (with their current ``state``), in no particular order."""
    rows = conn.execute(sa.select(_run).where(_run.c.id.in_(task_run_ids))).mappings()
    return _with_states(conn, list(rows))


def read_many(conn: Connection, query: TaskRunQuery | None = None) -> list[dict[str, Any]]:
    """The task runs of ``query``'s page (newest first by default; a ``limit`` of None: all),
    each with its current ``state``."""
    page = query or _filters.ALL
    clauses = _filters.task_run_clauses(page)
    statement = sa.select(_run).where(*clauses).order_by(*_filters.task_run_order(page.sort))
    statement = statement.limit(page.limit).offset(page.offset or None)
    return _with_states(conn, list(conn.execute(statement).mappings()))


def read_many_raw(conn: Connection, query: TaskRunQuery) -> list[tuple[Any, ...]]:
    """The runs of ``read_many``, each a tuple of the values of ``RAW_KEYS`` as the database
    driver returns them (no Python objects built), with their current states: for writing lists
    straight to JSON (``praefect.server.api._list_json``)."""
    clauses = _filters.task_run_clauses(query)
    order = _filters.task_run_order(query.sort)
    # No index of task runs is in a list's order: sort only the matching ids, then read the
    # page's runs with their states (the join and the wide rows stay out of the sort).
    page = sa.select(_run.c.id).where(*clauses).order_by(*order)
    page = page.limit(query.limit).offset(query.offset or None)
    statement = _RAW_WITH_STATE.where(_run.c.id.in_(page)).order_by(*order)
    return [tuple(row) for row in conn.execute(statement)]


def count(conn: Connection, criteria: TaskRunCriteria | None = None) -> int:
    """How many task runs match the criteria."""
    clauses = _filters.task_run_clauses(criteria or _filters.ALL)
    query = sa.select(sa.func.count()).select_from(_run).where(*clauses)
    return conn.execute(query).scalar_one()


def read_state(conn: Connection, state_id: uuid.UUID) -> State | None:
    """The task-run state with this id (of any run, current or past), or None."""
    row = conn.execute(sa.select(_state).where(_state.c.id == state_id)).mappings().first()
    return State.from_record(row) if row is not None else None


def rename(conn: Connection, task_run_id: uuid.UUID, name: str) -> bool:
    """Rename a task run; return whether it exists."""
    statement = _run.update().where(_run.c.id == task_run_id)
    return conn.execute(statement.values(name=name, updated=now_utc())).rowcount > 0


def delete(conn: Connection, task_run_id: uuid.UUID) -> bool:
    """Delete a task run with its states; return whether it existed. Its logs stay, as the
    flow run's; a subflow run it stood for keeps its ``parent_task_run_id``."""
    conn.execute(_state.delete().where(_state.c.task_run_id == task_run_id))
    return conn.execute(_run.delete().where(_run.c.id == task_run_id)).rowcount > 0


def read_states(conn: Connection, task_run_id: uuid.UUID) -> list[State]:
    """The state history of a task run, oldest first."""
    query = sa.select(_state).where(_state.c.task_run_id == task_run_id)
    rows = conn.execute(query.order_by(_state.c.timestamp, _state.c.id)).mappings()
    return [State.from_record(row) for row in rows]


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
