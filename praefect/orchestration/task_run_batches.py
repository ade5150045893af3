"""``POST /api/task_runs/batch`` on SQLite, fast: wire items stored as they came.

The batch route validates a body with ``schemas.actions.TaskRunBatchWireItem`` (plain dicts, ids
and times kept as their canonical text) and hands the items here. ``prepare`` turns them into
the values the SQLite writer binds (``task_runs.insert_sqlite``), with no model, ``State``,
``UUID`` or ``datetime`` kept per value; ``write`` stores them. The rows, states and events are
those that ``task_states.write_batch_once`` stores for the same batch validated by
``TaskRunBatchItem`` (the general path, and the only one on other databases); a test compares
the two. When ``prepare`` meets what only the general path can answer (an item without its run's
row, a time that is no date) it returns None, and the caller takes the general path, which
refuses the body with its 422.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> run = "01a23782-b341-7e4c-b4ad-29594c2a7153"
>>> items = [{"row": {"id": run, "name": "t", "task_key": "t"}, "state": {"type": StateType.PENDING}}]
>>> database.write(engine, lambda conn: write(conn, prepare(items)))
1
>>> import uuid
>>> database.read(engine, lambda conn: task_runs.read(conn, uuid.UUID(run)))["state_type"]
'PENDING'
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from praefect.database import types
from praefect.orchestration import event_shape, task_runs
from praefect.schemas import _results
from praefect.schemas.actions import RunPolicy, TaskRunBatchWireItem
from praefect.schemas.states import State, StateType, now_utc
from praefect.utilities.ids import uuid7

__all__ = ["Prepared", "prepare", "write"]

_UTC = _dt.UTC
_PLAIN = frozenset({int, float, str, bool})
_DEFAULT_NAMES = {kind: State(kind).name for kind in StateType}
_IDS = frozenset({"task_run_id", "flow_run_id"})
_DETAIL_TIMES = ("scheduled_time", "cache_expiration", "pause_timeout")
_STORED_SQL = "SELECT id FROM task_run_state WHERE id IN (SELECT value FROM json_each(?))"

Prepared = list[tuple[tuple[Any, ...], tuple[Any, ...] | None, str | None]]
"""Per item: its run's values (before and after the state columns, and its tags), its state's
values (or None) and its state's id."""


class _NotHere(Exception):
    """A value the fast path does not store (the general path answers the body)."""


def _time(text: str) -> _dt.datetime:
    """A canonical UTC time (``_NotHere`` if it is no date)."""
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise _NotHere from None
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value


def _stored(text: str) -> str:
    """The stored text of a canonical UTC time (``_NotHere`` if it is no date)."""
    try:
        return types.sqlite_text_of_utc(text)
    except ValueError:
        raise _NotHere from None


def _run_values(
    row: Any, policies: dict[bytes, str]
) -> tuple[tuple[Any, ...], tuple[Any, ...], Any]:
    # as task_runs._write_sqlite builds a run's values from a row of TaskRunCreate.to_row;
    # ``policies``: the stored JSON of policies by their pydantic JSON (the tasks of a batch
    # share a few: equal pydantic JSON, equal model, equal stored JSON)
    dumps = types.dumps
    get = row.get
    name = row["name"]
    created = get("created")
    expiration = get("cache_expiration")
    expected = get("expected_start_time")
    start = get("start_time")
    end = get("end_time")
    inputs = get("task_inputs")
    policy = get("empirical_policy")
    if policy is None:
        policy = RunPolicy()
    tags = get("tags")
    created_text = None if created is None else _stored(created)
    key = policy.__pydantic_serializer__.to_json(policy)
    policy_json = policies.get(key)
    if policy_json is None:
        policy_json = policies[key] = dumps(policy.model_dump(mode="json"))
    head = (
        row["id"],
        created_text,
        name,
        get("flow_run_id"),
        get("task_key") or name,
        str(get("dynamic_key", "0")),
        get("task_version"),
        get("cache_key"),
        None if expiration is None else _stored(expiration),
        dumps(
            {
                key: [value.model_dump(mode="json") for value in values]
                for key, values in inputs.items()
            }
        )
        if inputs
        else "{}",
        get("flow_run_run_count") or 0,
    )
    tail = (
        get("run_count") or 0,
        created_text if expected == created else None if expected is None else _stored(expected),
        None if start is None else _stored(start),
        None if end is None else _stored(end),
        float(get("total_run_time") or 0.0),
        policy_json,
        dumps(tags) if tags else "[]",
    )
    return head, tail, tags or ()


def _details_json(details: Any, run_id: str, flow_run_id: str | None) -> str:
    # as StateCreate.to_state (StateDetailsCreate's fields in their order, then the others: the
    # order of ``details`` too), the route's _with_ids and the writer's jsonable_details (None
    # values dropped, times in isoformat) and dumps
    ordered = dict(details) if details else {}
    ordered.setdefault("task_run_id", run_id)
    if flow_run_id is not None:
        ordered.setdefault("flow_run_id", flow_run_id)
    if len(ordered) <= 2 and ordered.keys() <= _IDS:
        # the usual case, in the text dumps would give (canonical ids need no escapes)
        return "{" + ",".join(f'"{k}":"{v}"' for k, v in ordered.items() if v is not None) + "}"
    for key in _DETAIL_TIMES:
        value = ordered.get(key)
        if value is not None:
            ordered[key] = _time(value).isoformat()
    return types.dumps(_results.jsonable_details(ordered))


def _own_details(row: Any) -> tuple[dict[str, str], str]:
    """The details a client sends with a run's states (its ids), and their JSON."""
    flow_run_id = row.get("flow_run_id")
    own = {"task_run_id": row["id"]}
    if flow_run_id is not None:
        own = {"flow_run_id": flow_run_id, **own}  # a dict of _WireDetails has this order
    return own, _details_json(own, row["id"], flow_run_id)


def prepare(items: Sequence[TaskRunBatchWireItem]) -> Prepared | None:
    """The values of ``items`` as ``write`` stores them, or None when the general path must
    answer: an item with neither ``row`` nor ``task_run_id``, one naming a run whose row is in
    no item, a time that is no date, a row with a ``state`` of its own."""
    last_rows: dict[str, Any] = {}
    for item in items:
        row = item.get("row")
        if row is not None:
            last_rows[row["id"]] = row
    runs: dict[int, Any] = {}
    policies: dict[bytes, str] = {}
    out: Prepared = []
    append = out.append
    plain = _PLAIN
    names = _DEFAULT_NAMES
    try:
        for item in items:
            row = item.get("row")
            if row is None:
                run_id = item.get("task_run_id")
                if run_id is None:
                    return None
                row = last_rows.get(run_id)
                if row is None:
                    return None
            # all rows stay alive until the end of this call: their ids are unique meanwhile
            per_run = runs.get(id(row))
            if per_run is None:
                if row.get("state") is not None:
                    # a row's first state is not stored here, so its times were never checked
                    # to be dates: the general path checks them (clients send no such state)
                    return None
                per_run = runs[id(row)] = (_run_values(row, policies), _own_details(row))
            values, own_details = per_run
            state = item.get("state")
            if state is None:
                append((values, None, None))
                continue
            state_id = state.get("id")
            if state_id is None:
                state_id = str(uuid7())
            stamp = state.get("timestamp")
            if stamp is None:  # entered when read (each state its own time, in order)
                stamp = types._sqlite_text(now_utc())
            else:
                stamp = _stored(stamp)
            kind = state["type"]
            data = state.get("data")
            if data is not None and data.__class__ not in plain:
                reference = _results.data_reference(data)
                data = None if reference is None else types.dumps(reference)
            else:
                data = None
            run_id = row["id"]
            details = state.get("state_details")
            if details == own_details[0]:
                details_json = own_details[1]
            else:
                details_json = _details_json(details, run_id, row.get("flow_run_id"))
            append(
                (
                    values,
                    (
                        state_id,
                        run_id,
                        kind._value_,
                        state.get("name") or names[kind],
                        stamp,
                        state.get("message"),
                        details_json,
                        data,
                    ),
                    state_id,
                )
            )
    except _NotHere:
        return None
    return out


def write(conn: Connection, prepared: Prepared) -> int:
    """Store ``prepared`` (SQLite): as ``task_states.write_batch_once``, states already stored
    (a batch sent again) are skipped with their items. Returns how many states were new."""
    ids = [state_id for _, _, state_id in prepared if state_id is not None]
    if ids:
        stored = set(conn.exec_driver_sql(_STORED_SQL, ('["' + '","'.join(ids) + '"]',)).scalars())
        if stored:
            if len(stored) == len(ids):
                return 0  # the whole batch was written before
            # the item that wrote a stored state also wrote its row then: skip it whole
            prepared = [item for item in prepared if item[2] is None or item[2] not in stored]
    else:
        stored = set()
    prepared = _without_stale_attempts(conn, prepared)
    latest: dict[str, tuple[Any, tuple[Any, ...] | None]] = {}
    states: list[Any] = []
    in_order: list[tuple[Any, ...]] = []
    extend = states.extend
    for values, state, _ in prepared:
        key = values[0][0]
        if state is None:
            previous = latest.get(key)
            latest[key] = (values, None if previous is None else previous[1])
        else:
            extend(state)
            in_order.append(state)
            latest[key] = (values, state)
    if not latest:
        return 0
    runs: list[Any] = []
    extend = runs.extend
    for (head, tail, _), state in latest.values():
        extend(head)
        extend((None, None, None, None) if state is None else (state[0], *state[2:5]))
        extend(tail)
    events = _events(conn, in_order, latest) if in_order else None
    now = types._sqlite_text(now_utc())
    task_runs.insert_sqlite(conn, runs, states, now, events, text=True)
    return len(ids) - len(stored)


def _without_stale_attempts(conn: Connection, prepared: Prepared) -> Prepared:
    """``prepared`` less the writes of attempts that had been replaced when they were made
    (``task_runs.stale_cutoffs``); raises ``FlowRunNotFound`` for a flow run that does not
    exist."""
    attempts = {(head[3], head[10]) for (head, _, _), _, _ in prepared}
    run_counts = task_runs.require_flow_runs(conn, {flow_run_id for flow_run_id, _ in attempts})
    cutoffs = task_runs.stale_cutoffs(conn, run_counts, attempts)
    if not cutoffs:
        return prepared
    stamps = {(str(fid), n): types._sqlite_text(at) for (fid, n), at in cutoffs.items()}
    kept: Prepared = []
    for item in prepared:
        head, state = item[0][0], item[1]
        cutoff = stamps.get((head[3], head[10]))
        if cutoff is None or (state is not None and state[4] < cutoff):
            kept.append(item)
    task_runs.report_stale(len(prepared) - len(kept), cutoffs)
    return kept


# -- events, as task_runs._EVENT_SQL builds them (both from event_shape) -------------------------
#
# Each state's event names the run (its row as this batch leaves it), the state, and the state
# the run came from: the previous state of the batch for the same run, or else the run's latest
# stored state. Its JSON is the text SQLite's json_object writes: a string goes in quotes as it
# is unless it has a quote, a backslash or a control character; then SQLite builds the batch's
# events itself.

_PREVIOUS_SQL = (
    "SELECT task_run_id, type, name FROM task_run_state WHERE rowid IN (SELECT max(rowid) "
    "FROM task_run_state WHERE task_run_id IN (SELECT value FROM json_each(?)) "
    "GROUP BY task_run_id)"
)
_ESCAPED = re.compile(r'["\\\x00-\x1f]')


class _Escapes(Exception):
    """A text that json_object would escape."""


def _events(
    conn: Connection, states: list[tuple[Any, ...]], latest: dict[str, Any]
) -> list[Any] | None:
    """The values of the events of ``states`` (in the order they are inserted), or None when
    SQLite must build them (a text to escape)."""
    quoted: dict[str, str] = {}

    def q(text: str) -> str:
        out = quoted.get(text)
        if out is None:
            if _ESCAPED.search(text) is not None:
                raise _Escapes
            out = quoted[text] = '"' + text + '"'
        return out

    run_ids = {state[1] for state in states}
    previous: dict[str, tuple[str, str]] = {
        run_id: (kind, name)
        for run_id, kind, name in conn.exec_driver_sql(
            _PREVIOUS_SQL, ('["' + '","'.join(run_ids) + '"]',)
        )
    }
    of_run: dict[str, tuple[str, str, str]] = {}  # resource id, resource JSON to fill, related
    payloads: dict[tuple[Any, ...], str] = {}  # a batch has few (from, to, name, message)
    related = event_shape.RELATED_JSON
    resource = event_shape.RESOURCE_JSON
    state_json = event_shape.STATE_JSON
    payload_json = event_shape.PAYLOAD_JSON
    task_run = event_shape.resource_id("task-run", "")
    event_prefix = event_shape.event_name("task-run", "")
    flow_run_prefix = event_shape.resource_id("flow-run", "")
    tag_prefix = event_shape.resource_id("tag", "")
    kinds_json = {kind.value: f'"{kind.value}"' for kind in StateType}
    out: list[Any] = []
    extend = out.extend
    try:
        for state_id, run_id, kind, name, stamp, message, _, _ in states:
            run = of_run.get(run_id)
            if run is None:
                (head, _, tags), _ = latest[run_id]
                flow_run_id = head[3]
                parts = []
                if flow_run_id is not None:
                    parts.append(related % (f'"{flow_run_prefix}{flow_run_id}"', '"flow-run"'))
                for tag in tags:
                    parts.append(related % (q(tag_prefix + tag), '"tag"'))
                resource_id = task_run + run_id
                # the run's part of its events' resource, filled once; the state's part per event
                filled = (f'"{resource_id}"', q(head[2]).replace("%", "%%"), *("%s",) * 4)
                run = of_run[run_id] = (resource_id, resource % filled, "[" + ",".join(parts) + "]")
            prior = previous.get(run_id)
            previous[run_id] = (kind, name)
            key = (prior, kind, name, message)
            payload = payloads.get(key)
            kind_json = kinds_json[kind]
            message_json = q(message or "")
            if payload is None:
                if prior is None:
                    from_json = initial_json = "null"
                else:
                    from_json = q(prior[0])
                    initial_json = state_json % (from_json, q(prior[1]), '""')
                payload = payloads[key] = payload_json % (
                    from_json,
                    kind_json,
                    initial_json,
                    state_json % (kind_json, q(name), message_json),
                )
            extend(
                (
                    state_id,
                    stamp,
                    event_prefix + name,
                    run[0],
                    run[1]
                    % (message_json, q(name), f'"{stamp.replace(" ", "T")}+00:00"', kind_json),
                    run[2],
                    payload,
                )
            )
    except _Escapes:
        return None
    return out
