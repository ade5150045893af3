"""The shape of a run's state-change event, defined once.

A state change is recorded as an event row: its name (``prefect.task-run.Completed``), the
resource it is about (``prefect.task-run.<id>``, with its name and new state), the related
resources (the flow run, the tags) and a payload naming the state it came from and the one it
entered. Three writers store these rows, each its own way for speed: SQLite builds a batch's
events in SQL (``task_runs._EVENT_SQL``), the general writer formats JSON text in Python
(``task_runs._write_generic``), the SQLite fast path too (``task_run_batches._events``), and a
flow run's event is a dict (``events.state_change_event``). All of them take the names and the
JSON from here: the shapes below are the one definition, and each writer's form (a ``%`` format
string, a SQL expression, a dict) is derived from them. Names and labels are Prefect's to the
letter (``prefect.flow-run.Completed`` about ``prefect.flow-run.<id>``), so Prefect's
automations and tools read our events.

>>> event_name("task-run", "Completed"), resource_id("task-run", "r1")
('prefect.task-run.Completed', 'prefect.task-run.r1')
>>> STATE_JSON % ('"RUNNING"', '"Running"', '""')
'{"type":"RUNNING","name":"Running","message":""}'
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "PAYLOAD",
    "PAYLOAD_JSON",
    "PREFIX",
    "RELATED",
    "RELATED_JSON",
    "RESOURCE",
    "RESOURCE_JSON",
    "STATE",
    "STATE_JSON",
    "Slot",
    "event_name",
    "fill",
    "iso_timestamp",
    "resource_id",
    "slots",
    "sql",
]

PREFIX = "prefect"
"""The namespace of event names, resource ids and resource labels (Prefect's)."""


class Slot(str):
    """A value of the shape given when an event is written (the slot's name says which)."""


RESOURCE: Mapping[str, Any] = {
    "prefect.resource.id": Slot("resource_id"),
    "prefect.resource.name": Slot("run_name"),
    f"{PREFIX}.state-message": Slot("state_message"),
    f"{PREFIX}.state-name": Slot("state_name"),
    f"{PREFIX}.state-timestamp": Slot("state_timestamp"),
    f"{PREFIX}.state-type": Slot("state_type"),
}
"""The resource an event is about: the run, with its new state (Prefect's labels; the message
``""`` when there is none, the timestamp in ISO 8601 with microseconds and ``+00:00``)."""

RELATED: Mapping[str, Any] = {
    "prefect.resource.id": Slot("id"),
    "prefect.resource.role": Slot("role"),
}
"""One related resource: the flow run of a task run (role ``flow-run``), the flow of a flow run
(``flow``), each tag (``tag``)."""

STATE: Mapping[str, Any] = {
    "type": Slot("type"),
    "name": Slot("name"),
    "message": Slot("message"),
}
"""A state in the payload (its message ``""`` when it has none)."""

PAYLOAD: Mapping[str, Any] = {
    "intended": {"from": Slot("from_type"), "to": Slot("to_type")},
    "initial_state": Slot("initial_state"),
    "validated_state": Slot("validated_state"),
}
"""The transition: the state type it came from (null for a first state) and went to, the state
it came from (a ``STATE``, null for a first state; a task run's with the message ``""``: its
batched writers know only the type and name), the state it entered (a ``STATE``)."""


def event_name(kind: str, state_name: str) -> str:
    """The name of the event of a ``kind`` run (``"task-run"``, ``"flow-run"``) entering a
    state named ``state_name``."""
    return f"{PREFIX}.{kind}.{state_name}"


def resource_id(kind: str, run_id: object) -> str:
    """The resource id of a ``kind`` run."""
    return f"{PREFIX}.{kind}.{run_id}"


def iso_timestamp(moment: _dt.datetime) -> str:
    """The ``prefect.state-timestamp`` label of a state entered at ``moment``: UTC, ISO 8601
    with microseconds (the stored text of SQLite with ``T`` and ``+00:00``).

    >>> iso_timestamp(_dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=_dt.UTC))
    '2030-01-02T03:04:05.000000+00:00'
    """
    if moment.tzinfo is not _dt.UTC:
        moment = moment.astimezone(_dt.UTC)
    return moment.isoformat(timespec="microseconds")


def _segments(shape: Mapping[str, Any]) -> list[str | Slot]:
    """The JSON text of ``shape`` as literal texts and slots, in order (no spaces: the text
    SQLite's ``json_object`` writes)."""
    out: list[str | Slot] = ["{"]
    for index, (key, value) in enumerate(shape.items()):
        out.append(("," if index else "") + json.dumps(key, ensure_ascii=False) + ":")
        if isinstance(value, Slot):
            out.append(value)
        elif isinstance(value, Mapping):
            out.extend(_segments(value))
        else:
            out.append(json.dumps(value, ensure_ascii=False))
    out.append("}")
    return out


def _merged(shape: Mapping[str, Any]) -> list[str | Slot]:
    out: list[str | Slot] = []
    for part in _segments(shape):
        if out and not isinstance(part, Slot) and not isinstance(out[-1], Slot):
            out[-1] += part
        else:
            out.append(part)
    return out


def _percent_string(shape: Mapping[str, Any]) -> str:
    # %-formatting with a tuple: several times cheaper per event than str.format(**names)
    return "".join(
        "%s" if isinstance(part, Slot) else part.replace("%", "%%") for part in _merged(shape)
    )


def slots(shape: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of the slots of ``shape``, in the order its ``*_JSON`` string takes them.

    >>> slots(STATE)
    ('type', 'name', 'message')
    """
    return tuple(part for part in _merged(shape) if isinstance(part, Slot))


RESOURCE_JSON = _percent_string(RESOURCE)
"""``RESOURCE`` as a ``%`` format string: ``RESOURCE_JSON % (resource_id, run_name,
state_message, state_name, state_timestamp, state_type)``, each the JSON text of its value."""
RELATED_JSON = _percent_string(RELATED)
"""``RELATED`` as a ``%`` format string: ``RELATED_JSON % (id, role)``."""
STATE_JSON = _percent_string(STATE)
"""``STATE`` as a ``%`` format string: ``STATE_JSON % (type, name, message)``."""
PAYLOAD_JSON = _percent_string(PAYLOAD)
"""``PAYLOAD`` as a ``%`` format string: ``PAYLOAD_JSON % (from_type, to_type, initial_state,
validated_state)``."""


def sql(shape: Mapping[str, Any], **values: str) -> str:
    """A SQL expression building the JSON text of ``shape``: each slot is the SQL expression
    given for it, which must give JSON text (``json_quote(x)`` for a text ``x``).

    >>> print(sql(RELATED, id="json_quote(x)", role="json_quote(r)"))
    '{"prefect.resource.id":' || json_quote(x) || ',"prefect.resource.role":' || json_quote(r) || '}'
    """
    parts = []
    for part in _merged(shape):
        if isinstance(part, Slot):
            parts.append(values[part])
        else:
            parts.append("'" + part.replace("'", "''") + "'")
    return " || ".join(parts)


def fill(shape: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """``shape`` as a dict, each slot replaced by its value (for writers that store dicts).

    >>> fill(RELATED, id="prefect.tag.x", role="tag")
    {'prefect.resource.id': 'prefect.tag.x', 'prefect.resource.role': 'tag'}
    """
    return {
        key: values[value]
        if isinstance(value, Slot)
        else fill(value, **values)
        if isinstance(value, Mapping)
        else value
        for key, value in shape.items()
    }
