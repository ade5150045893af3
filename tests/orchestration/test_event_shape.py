"""A task run's state-change events have one shape (``orchestration.event_shape``), whichever
writer stores them: the SQLite batch fast path (events formatted in Python), SQLite's own SQL
(the embedded writer, and the fast path when a text needs escaping) and the general writer
(PostgreSQL; also run here on SQLite)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from praefect import database, orchestration
from praefect.client import http
from praefect.database import tables
from praefect.orchestration import event_shape, task_run_batches, task_runs
from praefect.schemas.states import State, StateType
from praefect.server.api import task_runs as api

_T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
_FLOW_RUN = uuid.UUID("01a23782-b341-7e4c-b4ad-29594c2a7153")


def _batch(name: str, message: str, tags: list[str]) -> list[tuple[dict[str, Any], State]]:
    """Two task runs of one flow run, one with tags, through Pending, Running and a final
    state (one with a retry)."""
    items = []
    for index, (run_tags, final) in enumerate(((tags, "COMPLETED"), ([], "FAILED"))):
        row = {
            "id": uuid.UUID(int=index + 1 + len(name)),
            "name": f"{name}-{index}",
            "task_key": name,
            "flow_run_id": _FLOW_RUN if index == 0 else None,
            "tags": run_tags,
            "created": _T0,
        }
        kinds = [("PENDING", None, None), ("RUNNING", None, None)]
        if index == 1:
            kinds += [("SCHEDULED", "AwaitingRetry", "retry"), ("RUNNING", "Retrying", None)]
        kinds.append((final, None, message))
        for step, (kind, state_name, text) in enumerate(kinds):
            at = _T0 + dt.timedelta(seconds=step, microseconds=index)
            state = State(StateType(kind), name=state_name, message=text, timestamp=at)
            state.state_details["task_run_id"] = row["id"]
            items.append((row, state))
    return items


_PLAIN = _batch("plain", "done ✓", ["etl", "nightly"])
_ESCAPED = _batch('quote "q"', "line\nbreak", ['t"ag'])


def _events(url: str) -> list[tuple[Any, ...]]:
    event = tables.event

    def read(conn: Any) -> list[tuple[Any, ...]]:
        query = sa.select(event).where(event.c.event.startswith("prefect.task-run."))
        rows = conn.execute(query.order_by(event.c.occurred, event.c.id)).mappings()
        return [
            (
                str(r["id"]),
                r["occurred"],
                r["event"],
                r["resource_id"],
                r["resource"],
                r["related"],
                r["payload"],
            )
            for r in rows
        ]

    return database.read(database.get_engine(url), read)


def _with_flow_run(url: str) -> str:
    def create(conn: Any) -> None:
        flow_id = orchestration.flows.ensure(conn, "shape")
        orchestration.flow_runs.create_run(conn, {"id": _FLOW_RUN, "name": "r", "flow_id": flow_id})

    database.write(database.get_engine(url), create)
    return url


def test_every_writer_stores_the_same_state_change_events(database_url, tmp_path, monkeypatch):
    built_in_python = []  # per batch: whether the fast path formatted its events itself
    events = task_run_batches._events

    def spy(*args: Any) -> Any:
        out = events(*args)
        built_in_python.append(out is not None)
        return out

    monkeypatch.setattr(task_run_batches, "_events", spy)
    fast = _with_flow_run(f"sqlite:///{tmp_path / 'fast.db'}")
    embedded = _with_flow_run(f"sqlite:///{tmp_path / 'embedded.db'}")
    general = _with_flow_run(database_url)
    for batch in (_PLAIN, _ESCAPED):
        prepared = task_run_batches.prepare(
            api._wire_adapter().validate_json(http.task_run_body(batch))
        )
        assert prepared is not None
        database.write(
            database.get_engine(fast), lambda conn, p=prepared: task_run_batches.write(conn, p)
        )
        database.write(
            database.get_engine(embedded),
            lambda conn, b=batch: task_runs.write_batch(conn, b),  # SQLite's SQL
        )
        database.write(
            database.get_engine(general),
            lambda conn, b=batch: task_runs._write_generic(conn, b, None),
        )
    # the fast path formatted the plain batch's events and left the escaped one to SQLite
    assert built_in_python == [True, False]

    stored = _events(fast)
    assert len(stored) == 2 * 8
    assert _events(embedded) == stored
    assert _events(general) == stored
    first = stored[0]
    assert first[2] == event_shape.event_name("task-run", "Pending")
    assert set(first[4]) == set(event_shape.RESOURCE)
    assert set(first[6]) == set(event_shape.PAYLOAD)
    tagged = next(row for row in stored if row[5] and len(row[5]) == 3)
    assert [item["prefect.resource.role"] for item in tagged[5]] == ["flow-run", "tag", "tag"]


@pytest.mark.parametrize("shape", ["RESOURCE", "RELATED", "STATE", "PAYLOAD"])
def test_each_shapes_json_template_and_dict_agree(shape):
    import json

    template = getattr(event_shape, f"{shape}_JSON")
    values = {
        "resource_id": "r",
        "run_name": 'n "q" ✓',
        "state_type": "RUNNING",
        "state_name": "Running",
        "state_message": "done",
        "state_timestamp": "2030-01-01T00:00:00.000000+00:00",
        "id": "i",
        "role": "tag",
        "type": "T",
        "name": "N",
        "message": "",
        "from_type": None,
        "to_type": "PENDING",
        "initial_state": None,
        "validated_state": {"type": "PENDING", "name": "Pending", "message": ""},
    }
    shape_slots = event_shape.slots(getattr(event_shape, shape))
    text = template % tuple(json.dumps(values[k], ensure_ascii=False) for k in shape_slots)
    assert json.loads(text) == event_shape.fill(getattr(event_shape, shape), **values)
