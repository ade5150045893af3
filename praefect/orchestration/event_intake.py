"""Events as they arrive from outside (``POST /api/events``, ``ws /api/events/in``) and counts
over stored events (``/api/events/count-by``).

Prefect 3's client reports its task runs only as events: ``prefect.task-run.<State>`` about
``prefect.task-run.<id>``, labelled ``"prefect.orchestration": "client"``, related to its flow
run in the role ``flow-run``, with the state in ``payload["validated_state"]`` and the run's
fields in ``payload["task_run"]``. ``ingest`` records those as task runs with their states (as
Prefect's task-run recorder does), then stores every event through ``events.ingest``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pydantic_core
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.orchestration import event_filters, events, task_states
from praefect.schemas.states import State, now_utc

if TYPE_CHECKING:
    from praefect.schemas.events import Event, EventFilter

__all__ = ["count_by", "ingest", "ingest_texts", "task_run_items"]

_TASK_RUN = "prefect.task-run."
_FLOW_RUN = "prefect.flow-run."
_UNITS = {
    "week": 7 * 86400.0,
    "day": 86400.0,
    "hour": 3600.0,
    "minute": 60.0,
    "second": 1.0,
}
_MAX_BUCKETS = 1000
_MAX_WIDTH = 1000 * 365.25 * 86400.0
"""The widest time bucket count_by makes, in seconds."""


def ingest(conn: Connection, batch: Sequence[Event], received: _dt.datetime | None = None) -> None:
    """Store validated events received now: a client's task-run state changes are recorded as
    task runs first, then each event is stored (one already stored is skipped)."""
    if not batch:
        return
    items = task_run_items(batch)
    if items:
        task_states.write_batch_once(conn, items)
    at = received or now_utc()
    events.ingest(conn, [event.to_row(at) for event in batch])


class _Slow(Exception):
    """A text the fast reading does not take as it is (the model reads it, or names its error)."""


_ID = "prefect.resource.id"
_ROLE = "prefect.resource.role"
_NAME = re.compile(r"[^\s\x00-\x1f]{1,255}")
_UTC = _dt.UTC


def _labels(value: Any) -> bool:
    if value.__class__ is not dict:
        return False
    for label in value.values():
        if label.__class__ is not str:
            return False
    return True


def _moment(value: Any) -> _dt.datetime:
    if value.__class__ is not str:
        raise _Slow
    try:
        moment = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Slow from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment if moment.tzinfo is _UTC else moment.astimezone(_UTC)


def _uuid(value: Any) -> uuid.UUID:
    if value.__class__ is not str:
        raise _Slow
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _Slow from None


def _fast_row(data: Any, received: _dt.datetime) -> dict[str, Any]:
    """The row of an event given as decoded JSON whose every field is already what the model
    would make of it (else ``_Slow``)."""
    if data.__class__ is not dict:
        raise _Slow
    name = data.get("event")
    resource: Any = data.get("resource")
    related = data.get("related", [])
    payload = data.get("payload", {})
    if (
        name.__class__ is not str
        or _NAME.fullmatch(name) is None
        or name.startswith(_TASK_RUN)  # Prefect's client task runs: the model reads them
        or not _labels(resource)
        or not resource.get(_ID)
        or related.__class__ is not list
        or payload.__class__ is not dict
    ):
        raise _Slow
    for one in related:
        if not _labels(one) or not one.get(_ID) or not one.get(_ROLE):
            raise _Slow
    id = data.get("id")
    occurred = data.get("occurred")
    follows = data.get("follows")
    return {
        "id": uuid.uuid4() if id is None else _uuid(id),
        "occurred": now_utc() if occurred is None else _moment(occurred),
        "event": name,
        "resource_id": resource[_ID],
        "resource": resource,
        "related": related,
        "payload": payload,
        "received": received,
        "follows": None if follows is None else _uuid(follows),
    }


def ingest_texts(
    conn: Connection, texts: Sequence[str], received: _dt.datetime | None = None
) -> tuple[int, str | None]:
    """Store events given as JSON texts, one event each (``ws /api/events/in``), as ``ingest``
    does, up to the first malformed one. Returns how many were stored and, if one was
    malformed, what is wrong with it (its field named); the ones after it are not stored.

    Most texts are read without building a model (what ``Event`` would make of them, checked
    field by field); any other text goes through ``Event``, which normalizes it or names its
    error."""
    from pydantic import ValidationError

    from praefect.schemas.events import Event

    at = received or now_utc()
    rows: list[dict[str, Any]] = []
    client_task_runs: list[Event] = []
    problem = None
    loads = pydantic_core.from_json
    for index, text in enumerate(texts):
        try:
            rows.append(_fast_row(loads(text), at))
            continue
        except (_Slow, ValueError):
            pass
        try:
            event = Event.model_validate_json(text)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "event"
            problem = f"Invalid event (message {index + 1} of its batch): {where}: {error['msg']}"
            break
        if event.event.startswith(_TASK_RUN):
            client_task_runs.append(event)
        rows.append(event.to_row(at))
    items = task_run_items(client_task_runs)
    if items:
        task_states.write_batch_once(conn, items)
    events.ingest(conn, rows)
    return len(rows), problem


def task_run_items(batch: Sequence[Event]) -> list[tuple[dict[str, Any], State]]:
    """The ``(row, state)`` pairs of the client-orchestrated task-run events of ``batch``."""
    from praefect.schemas.actions import TaskRunBatchItem

    items: list[tuple[dict[str, Any], State]] = []
    for event in batch:
        resource = event.resource
        if not (
            event.event.startswith(_TASK_RUN)
            and resource.get("prefect.orchestration") == "client"
            and resource.id.startswith(_TASK_RUN)
        ):
            continue
        payload = event.payload
        task_run = dict(payload.get("task_run") or {})
        validated = dict(payload.get("validated_state") or {})
        flow_run = event.resource_in_role.get("flow-run")
        row: dict[str, Any] = {
            key: value
            for key, value in task_run.items()
            if key in _ROW_FIELDS and value is not None
        }
        row["id"] = resource.id[len(_TASK_RUN) :]
        row.setdefault("name", resource.name or "task")
        row.setdefault("task_key", row["name"])
        if flow_run is not None and flow_run.id.startswith(_FLOW_RUN):
            row["flow_run_id"] = flow_run.id[len(_FLOW_RUN) :]
        details = {k: v for k, v in (validated.get("state_details") or {}).items() if k in _DETAILS}
        state = {
            "type": validated.get("type") or resource.get("prefect.state-type"),
            "name": validated.get("name") or resource.get("prefect.state-name"),
            "message": validated.get("message"),
            "timestamp": event.occurred,
            "state_details": details,
        }
        if isinstance(validated.get("data"), dict):  # Prefect's result record metadata
            state["data"] = validated["data"]
        item = TaskRunBatchItem.model_validate({"row": row, "state": state})
        assert item.row is not None and item.state is not None
        run_row = item.row.to_row(item.row.id)
        new_state = item.state.to_state()
        new_state.id = event.id  # the event's id is the state's, as Prefect's recorder has it
        new_state.state_details["task_run_id"] = item.row.id
        if run_row.get("flow_run_id") is not None:
            new_state.state_details["flow_run_id"] = run_row["flow_run_id"]
        items.append((run_row, new_state))
    return items


_ROW_FIELDS = frozenset(
    {
        "name",
        "task_key",
        "dynamic_key",
        "cache_key",
        "cache_expiration",
        "task_version",
        "empirical_policy",
        "tags",
        "task_inputs",
        "run_count",
        "flow_run_run_count",
        "expected_start_time",
        "start_time",
        "end_time",
        "total_run_time",
    }
)
_DETAILS = frozenset(
    {
        "scheduled_time",
        "cache_key",
        "cache_expiration",
        "retriable",
        "refresh_cache",
        "pause_timeout",
        "pause_reschedule",
        "pause_key",
        "deferred",
        "untrackable_result",
        "transition_id",
        "task_parameters_id",
        "traceparent",
    }
)


def count_by(
    conn: Connection,
    filter: EventFilter,
    countable: str,
    time_unit: str = "day",
    time_interval: float = 1.0,
) -> list[dict[str, Any]]:
    """Prefect's ``EventCount`` rows of the events matching ``filter``: per ``event`` name, per
    ``resource`` id, per ``day``, or per ``time`` bucket of ``time_interval`` ``time_unit``s
    between ``filter.occurred.since`` and ``until`` (every bucket, empty ones too).
    ``ValueError`` when the buckets would be more than 1,000."""
    c = tables.event.c
    where = event_filters.clauses(conn.dialect.name, filter)
    if countable in ("event", "resource"):
        key = c.event if countable == "event" else c.resource_id
        statement = (
            sa.select(key, sa.func.count(), sa.func.min(c.occurred), sa.func.max(c.occurred))
            .where(*where)
            .group_by(key)
            .order_by(sa.func.count().desc(), key)
        )
        return [
            {"value": value, "label": value, "count": n, "start_time": first, "end_time": last}
            for value, n, first, last in conn.execute(statement)
        ]
    width = 86400.0 if countable == "day" else _UNITS[time_unit] * time_interval
    if not math.isfinite(width) or width > _MAX_WIDTH:
        raise ValueError(
            f"time_interval {time_interval:g} of {time_unit} is too wide: a bucket can span at "
            f"most {_MAX_WIDTH:g} s (about 1,000 years)."
        )
    since = filter.occurred.since
    until = filter.occurred.until or now_utc()
    times = [row[0] for row in conn.execute(sa.select(c.occurred).where(*where))]
    times = [t if isinstance(t, _dt.datetime) else _dt.datetime.fromisoformat(t) for t in times]
    if since is None:
        since = min(times) if times else until
    epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    start = math.floor((since - epoch).total_seconds() / width) * width
    buckets = math.ceil(((until - epoch).total_seconds() - start) / width) or 1
    if buckets > _MAX_BUCKETS:
        raise ValueError(
            f"{buckets} time buckets of {width:g} s between {since.isoformat()} and "
            f"{until.isoformat()}: at most {_MAX_BUCKETS}; widen time_unit or time_interval."
        )
    counts = [0] * buckets
    for moment in times:
        index = int(((moment.astimezone(_dt.UTC) - epoch).total_seconds() - start) // width)
        if 0 <= index < buckets:
            counts[index] += 1
    out = []
    for index, n in enumerate(counts):
        if countable == "day" and not n:
            continue
        begin = epoch + _dt.timedelta(seconds=start + index * width)
        end = begin + _dt.timedelta(seconds=width) - _dt.timedelta(microseconds=1)
        label = begin.date().isoformat() if countable == "day" else begin.isoformat()
        out.append(
            {
                "value": begin.isoformat(),
                "label": label,
                "count": n,
                "start_time": begin,
                "end_time": end,
            }
        )
    return out
