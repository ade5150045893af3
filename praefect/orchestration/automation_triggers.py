"""Triggers: every stored event is weighed against the enabled automations' triggers, in the
transaction that stores it (``evaluate``, called by ``events.ingest``), and proactive triggers
on a timer (``evaluate_proactive``, the ``ProactiveTriggers`` service).

The automations are read once and kept in memory per database, indexed by the event names
their triggers expect, so an event no trigger names costs a dictionary lookup; they are read
again after a change made in this process at once, after one made elsewhere within
``REFRESH_SECONDS``. A trigger's counts live in ``automation_bucket`` rows written in the
event's transaction: a restart loses no count, and an event rolled back counts nothing.

A trigger that fires queues its automation's actions (``automation_action_run`` rows, run by
``automation_actions``) and emits ``prefect.automation.triggered`` (or ``.resolved``).

Semantics, as Prefect's: a ``Reactive`` trigger fires as soon as ``threshold`` matching
events fall in one window of ``within`` (0: no time limit), then waits for the window's end;
a ``Proactive`` one fires when fewer than ``threshold`` arrive in a window of ``within``
(starting at its ``after`` event, or one after another when it has none). ``for_each``
labels keep one count per distinct value. A ``CompoundTrigger`` fires when ``require`` of
its triggers have fired within its ``within``; a ``SequenceTrigger`` when they fired in order.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as _dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.schemas.states import now_utc

__all__ = [
    "REFRESH_SECONDS",
    "evaluate",
    "evaluate_proactive",
    "event_json",
    "fire",
    "forget",
    "name_matches",
    "not_stored",
    "wants",
]

_log = logging.getLogger("praefect.automations")
_bucket = tables.automation_bucket
_auto = tables.automation

REFRESH_SECONDS = 2.0
"""How soon a change to the automations made by another process is seen."""
_NO_LIMIT = _dt.timedelta(days=36500)
_MAX_DEPTH = 4
"""Automation events may trigger automations, which emit events...: a chain stops here."""
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("automation_depth", default=0)


def name_matches(patterns: Sequence[str] | set[str], name: str) -> bool:
    """Whether the event ``name`` is one of ``patterns`` (a pattern may end in ``*``).

    >>> name_matches({"prefect.flow-run.*"}, "prefect.flow-run.Completed")
    True
    """
    for pattern in patterns:
        if pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


# -- the automations, loaded ----------------------------------------------------------------------
@dataclasses.dataclass
class _Automation:
    id: uuid.UUID
    name: str
    row: dict[str, Any]
    trigger: Any


@dataclasses.dataclass
class _Leaf:
    """An event trigger of an automation (its root, or inside composite triggers)."""

    automation: _Automation
    trigger: Any
    id: str
    parents: list[tuple[str, Any, int]]
    """(id, composite trigger, index of the child) from the nearest parent up."""


@dataclasses.dataclass
class _Loaded:
    version: tuple[Any, ...]
    checked: float
    automations: dict[uuid.UUID, _Automation]
    exact: dict[str, list[_Leaf]]
    prefixed: dict[str, list[_Leaf]]
    any_event: list[_Leaf]
    proactive: list[_Leaf]

    def candidates(self, name: str) -> list[_Leaf]:
        found = list(self.exact.get(name, ()))
        if self.prefixed:  # each prefix of the name is looked up: a few lookups, any count
            for end in range(len(name) + 1):
                found += self.prefixed.get(name[:end], ())
        return found + self.any_event


_loaded: dict[str, _Loaded] = {}
_lock = threading.Lock()


def _key(conn: Connection) -> str:
    return str(conn.engine.url)


def _version(conn: Connection) -> tuple[Any, ...]:
    statement = sa.select(sa.func.count(), sa.func.max(_auto.c.updated)).where(_auto.c.enabled)
    return tuple(conn.execute(statement).one())


def _leaves(automation: _Automation, trigger: Any, id: str, parents: list[Any]) -> list[_Leaf]:
    if trigger.type == "event":
        return [_Leaf(automation, trigger, id, parents)]
    out: list[_Leaf] = []
    for index, child in enumerate(trigger.triggers):
        out += _leaves(automation, child, f"{id}.{index}", [(id, trigger, index), *parents])
    return out


def _load(conn: Connection, version: tuple[Any, ...]) -> _Loaded:
    loaded = _Loaded(version, time.monotonic(), {}, {}, {}, [], [])
    if not version[0]:
        # No enabled automation: a flow run in a fresh process must not pay for importing the
        # trigger models (pydantic, ~0.3 s of CPU) to weigh its events against nothing.
        return loaded
    from pydantic import TypeAdapter

    from praefect.schemas.automations import TriggerTypes

    adapter: TypeAdapter[Any] = TypeAdapter(TriggerTypes)
    for row in conn.execute(sa.select(_auto).where(_auto.c.enabled)).mappings():
        try:
            trigger = adapter.validate_python(row["trigger"])
        except ValueError as exc:
            _log.warning("Automation %s has a trigger praefect cannot read: %s", row["id"], exc)
            continue
        automation = _Automation(row["id"], row["name"], dict(row), trigger)
        loaded.automations[automation.id] = automation
        for leaf in _leaves(automation, trigger, "0", []):
            names = leaf.trigger.expect | leaf.trigger.after
            if leaf.trigger.posture == "Proactive":
                loaded.proactive.append(leaf)
            if not leaf.trigger.expect:
                loaded.any_event.append(leaf)
                continue
            for name in names:
                if name.endswith("*"):
                    loaded.prefixed.setdefault(name[:-1], []).append(leaf)
                else:
                    loaded.exact.setdefault(name, []).append(leaf)
    return loaded


def _current(conn: Connection) -> _Loaded:
    key = _key(conn)
    loaded = _loaded.get(key)
    if loaded is not None and time.monotonic() - loaded.checked < REFRESH_SECONDS:
        return loaded
    version = _version(conn)
    if loaded is not None and loaded.version == version:
        loaded.checked = time.monotonic()
        return loaded
    fresh = _load(conn, version)
    with _lock:
        _loaded[key] = fresh
    return fresh


def wants(conn: Connection, prefix: str) -> bool:
    """Whether an enabled automation may expect events named ``prefix...`` (the task-run
    writers, which store their events in SQL, read them back to be weighed only then)."""
    loaded = _current(conn)
    if loaded.any_event:
        return True
    if any(name.startswith(prefix) for name in loaded.exact):
        return True
    return any(p.startswith(prefix) or prefix.startswith(p) for p in loaded.prefixed)


def not_stored(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    """The event ``rows`` not stored yet, when automations are there to weigh them (else all
    of them: the insert skips the stored ones anyway)."""
    if not rows or not _current(conn).automations:
        return rows
    from praefect.orchestration import filters

    ids = [row["id"] for row in rows]
    event = tables.event
    stored = set(
        conn.execute(sa.select(event.c.id).where(filters.in_values(event.c.id, ids))).scalars()
    )
    return [row for row in rows if row["id"] not in stored] if stored else rows


def forget(conn: Connection, automation_id: uuid.UUID) -> None:
    """Drop an automation's open windows and reload the automations on the next event (an
    automation was created, changed, enabled, disabled or deleted)."""
    conn.execute(_bucket.delete().where(_bucket.c.automation_id == automation_id))
    with _lock:
        _loaded.pop(_key(conn), None)


# -- events ---------------------------------------------------------------------------------------
def event_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """An event row as Prefect's event JSON (what templates and stored windows see)."""
    occurred = row.get("occurred")
    out = {
        "id": str(row.get("id")),
        "occurred": occurred.isoformat() if isinstance(occurred, _dt.datetime) else occurred,
        "event": row.get("event"),
        "resource": dict(row.get("resource") or {}),
        "related": [dict(r) for r in row.get("related") or []],
        "payload": row.get("payload") or {},
    }
    return json.loads(json.dumps(out, default=str))


def _occurred(row: Mapping[str, Any]) -> _dt.datetime:
    occurred = row.get("occurred")
    if isinstance(occurred, str):
        occurred = _dt.datetime.fromisoformat(occurred)
    if not isinstance(occurred, _dt.datetime):
        return now_utc()
    return occurred if occurred.tzinfo else occurred.replace(tzinfo=_dt.UTC)


def _resource_matches(trigger: Any, row: Mapping[str, Any]) -> bool:
    if not trigger.match.matches(row.get("resource") or {}):
        return False
    related = row.get("related") or []
    return all(spec.includes(related) for spec in trigger.related_specifications())


def _label(row: Mapping[str, Any], label: str) -> str:
    if label.startswith("related:"):
        _, role, name = (label.split(":", 2) + ["", ""])[:3]
        for related in row.get("related") or []:
            if related.get("prefect.resource.role") == role:
                return str(related.get(name, ""))
        return ""
    return str((row.get("resource") or {}).get(label, ""))


def _bucket_key(trigger: Any, row: Mapping[str, Any] | None) -> str:
    if not trigger.for_each or row is None:
        return ""
    return json.dumps([_label(row, label) for label in sorted(trigger.for_each)])


def evaluate(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Weigh stored event ``rows`` against the enabled automations (in the caller's
    transaction): a trigger that fires queues its actions. Returns the events to store next
    (``prefect.automation.triggered``, ...), which ``events.ingest`` stores and weighs in turn,
    up to ``_MAX_DEPTH`` deep."""
    loaded = _current(conn)
    emitted: list[dict[str, Any]] = []
    if not loaded.automations or _depth.get() >= _MAX_DEPTH:
        return emitted
    token = _depth.set(_depth.get() + 1)
    try:
        for row in rows:
            for leaf in loaded.candidates(str(row.get("event", ""))):
                if _resource_matches(leaf.trigger, row):
                    emitted += _on_event(conn, leaf, row)
    finally:
        _depth.reset(token)
    return emitted


def _read_bucket(conn: Connection, leaf: _Leaf, key: str) -> dict[str, Any] | None:
    statement = sa.select(_bucket).where(
        (_bucket.c.automation_id == leaf.automation.id)
        & (_bucket.c.trigger_id == leaf.id)
        & (_bucket.c.bucket_key == key)
    )
    row = conn.execute(statement.with_for_update()).mappings().first()
    return dict(row) if row is not None else None


def _open_bucket(
    conn: Connection,
    leaf: _Leaf,
    key: str,
    start: _dt.datetime,
    end: _dt.datetime,
    count: int = 0,
    last_event: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from praefect.orchestration import filters

    values = {
        "id": uuid.uuid4(),
        "automation_id": leaf.automation.id,
        "trigger_id": leaf.id,
        "bucket_key": key,
        "start": start,
        "end": end,
        "count": count,
        "last_event": last_event,
        "triggered_at": None,
    }
    keys = ["automation_id", "trigger_id", "bucket_key"]
    conn.execute(filters.insert_ignoring_conflicts(conn, _bucket, keys), [values])
    return _read_bucket(conn, leaf, key) or values


def _save_bucket(conn: Connection, bucket: Mapping[str, Any], **changes: Any) -> None:
    conn.execute(_bucket.update().where(_bucket.c.id == bucket["id"]).values(**changes))


def _remove_bucket(conn: Connection, bucket: Mapping[str, Any]) -> None:
    conn.execute(_bucket.delete().where(_bucket.c.id == bucket["id"]))


def _window(trigger: Any) -> _dt.timedelta:
    within = trigger.within
    return within if within and within > _dt.timedelta(0) else _NO_LIMIT


_Rows = list[dict[str, Any]]


def _on_event(conn: Connection, leaf: _Leaf, row: Mapping[str, Any]) -> _Rows:
    trigger, name = leaf.trigger, str(row.get("event"))
    starts = bool(trigger.after) and name_matches(trigger.after, name)
    expected = not trigger.expect or name_matches(trigger.expect, name)
    occurred, key = _occurred(row), _bucket_key(trigger, row)
    event = event_json(row)
    if _fires_on_each(trigger):  # nothing to count: no window row to read or write
        if not expected:
            return []
        return _leaf_fired(conn, leaf, key, event, now_utc(), "triggered")
    emitted: _Rows = []
    bucket = _read_bucket(conn, leaf, key)
    if bucket is not None and bucket["end"] <= occurred and trigger.posture == "Proactive":
        emitted += _close_proactive(conn, leaf, bucket, occurred)  # before the timer got to it
        bucket = _read_bucket(conn, leaf, key)
    if starts and bucket is None:
        end = occurred + _window(trigger)
        bucket = _open_bucket(conn, leaf, key, occurred, end, last_event=event)
        if not (expected and trigger.posture == "Reactive"):
            return emitted
    if not expected:
        return emitted
    if bucket is None:
        if trigger.after:
            return emitted  # nothing started a window
        bucket = _open_bucket(conn, leaf, key, occurred, occurred + _window(trigger))
    elif occurred < bucket["start"]:
        return emitted  # a late event, or one in the rest of a window that already fired
    elif bucket["end"] <= occurred and trigger.posture == "Reactive":
        _remove_bucket(conn, bucket)
        if trigger.after:
            return emitted
        bucket = _open_bucket(conn, leaf, key, occurred, occurred + _window(trigger))
    count = bucket["count"] + 1
    if trigger.posture == "Proactive":
        _save_bucket(conn, bucket, count=count, last_event=event)
        if bucket["triggered_at"] is not None and count >= trigger.threshold:
            _save_bucket(conn, bucket, triggered_at=None)
            emitted += _leaf_fired(conn, leaf, key, event, now_utc(), "resolved")
        return emitted
    if count < trigger.threshold:
        _save_bucket(conn, bucket, count=count, last_event=event)
        return emitted
    _remove_bucket(conn, bucket)
    if not trigger.after and trigger.within > _dt.timedelta(0) and bucket["end"] > occurred:
        # fired early: the rest of the window is spent, counting starts again at its end
        _open_bucket(conn, leaf, key, bucket["end"], bucket["end"] + trigger.within)
    return emitted + _leaf_fired(conn, leaf, key, event, now_utc(), "triggered")


def _fires_on_each(trigger: Any) -> bool:
    """A reactive trigger that fires on every expected event (the common case)."""
    return (
        trigger.posture == "Reactive"
        and trigger.threshold == 1
        and not trigger.after
        and trigger.within == _dt.timedelta(0)
    )


def _close_proactive(
    conn: Connection, leaf: _Leaf, bucket: Mapping[str, Any], now: _dt.datetime
) -> _Rows:
    """End a proactive window that is over: fire if too few events came; open the next one
    when the trigger has no ``after``."""
    trigger = leaf.trigger
    fired = bucket["count"] < trigger.threshold
    _remove_bucket(conn, bucket)
    if not trigger.after:
        start = max(bucket["end"], now)
        following = _open_bucket(conn, leaf, bucket["bucket_key"], start, start + trigger.within)
        if fired:  # the next window's expected events resolve it
            _save_bucket(conn, following, triggered_at=now)
    if not fired:
        return []
    return _leaf_fired(conn, leaf, bucket["bucket_key"], bucket["last_event"], now, "triggered")


def evaluate_proactive(conn: Connection, now: _dt.datetime | None = None) -> _Rows:
    """Open the windows of proactive triggers with no ``after`` and no ``for_each``, and close
    the windows that are over (firing those that saw too few events); return the events to
    store (``events.ingest`` them)."""
    now = now or now_utc()
    loaded = _current(conn)
    emitted: _Rows = []
    proactive_ids = set()
    for leaf in loaded.proactive:
        proactive_ids.add(leaf.id)
        if not leaf.trigger.after and not leaf.trigger.for_each:
            if _read_bucket(conn, leaf, "") is None:
                _open_bucket(conn, leaf, "", now, now + leaf.trigger.within)
        statement = sa.select(_bucket).where(
            (_bucket.c.automation_id == leaf.automation.id)
            & (_bucket.c.trigger_id == leaf.id)
            & (_bucket.c.end <= now)
        )
        for bucket in [dict(b) for b in conn.execute(statement).mappings()]:
            emitted += _close_proactive(conn, leaf, bucket, now)
    return emitted


# -- composite triggers ---------------------------------------------------------------------------
def _leaf_fired(
    conn: Connection,
    leaf: _Leaf,
    key: str,
    event: dict[str, Any] | None,
    now: _dt.datetime,
    state: str,
) -> _Rows:
    """An event trigger fired: its automation fires, or its composite parent counts it."""
    for parent_id, parent, index in leaf.parents:
        if state != "triggered" or not _composite_fired(conn, leaf, parent_id, parent, index, now):
            return []
    labels = {"bucket": key} if key else {}
    return fire(conn, leaf.automation.row, state, event, now, labels)


def _composite_fired(
    conn: Connection, leaf: _Leaf, parent_id: str, parent: Any, index: int, now: _dt.datetime
) -> bool:
    """Record that child ``index`` of ``parent`` fired; whether the parent fires now."""
    proxy = _Leaf(leaf.automation, parent, parent_id, [])
    window = parent.within if parent.within else _NO_LIMIT
    bucket = _read_bucket(conn, proxy, "") or _open_bucket(
        conn, proxy, "", now, now + window, last_event={"fired": {}}
    )
    horizon = now - window
    fired = {
        child: at
        for child, at in ((bucket.get("last_event") or {}).get("fired") or {}).items()
        if _dt.datetime.fromisoformat(at) >= horizon
    }
    if parent.type == "sequence" and any(str(i) not in fired for i in range(index)):
        return False  # out of order: not counted
    fired[str(index)] = now.isoformat()
    needed = parent.required() if parent.type == "compound" else len(parent.triggers)
    if len(fired) >= needed:
        _remove_bucket(conn, bucket)
        return True
    _save_bucket(conn, bucket, count=len(fired), last_event={"fired": fired})
    return False


# -- firing ---------------------------------------------------------------------------------------
def fire(
    conn: Connection,
    automation: Mapping[str, Any],
    state: str,
    event: dict[str, Any] | None,
    now: _dt.datetime | None = None,
    triggering_labels: dict[str, str] | None = None,
) -> _Rows:
    """The automation entered ``state`` (``triggered`` or ``resolved``) because of ``event``:
    queue its actions; return the events saying so (``prefect.automation.<state>`` and one
    ``prefect.automation.action.triggered`` per action) for the caller to store."""
    from praefect.orchestration import automation_actions

    now = now or now_utc()
    kinds = ["actions", "actions_on_trigger"] if state == "triggered" else ["actions_on_resolve"]
    actions = [action for kind in kinds for action in automation.get(kind) or []]
    payload = {"triggering_labels": triggering_labels or {}, "triggering_event": event}
    related = automation_actions.triggering(event)
    emitted = [
        automation_actions.automation_event(
            automation, f"prefect.automation.{state}", payload, related, now
        )
    ]
    emitted += automation_actions.queue(conn, automation, uuid.uuid4(), state, actions, event, now)
    _log.info("Automation %r (%s) %s.", automation["name"], automation["id"], state)
    return emitted
