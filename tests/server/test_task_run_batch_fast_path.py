"""``POST /api/task_runs/batch`` on SQLite takes a fast path (plain dicts, no model per item):
it stores exactly what the general path (``TaskRunBatchItem`` models) stores, and a body it does
not take is answered by the general path, with the same 422 naming the item and field."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from praefect import database, orchestration
from praefect.database import types
from praefect.orchestration import task_run_batches
from praefect.schemas.actions import UtcDatetime
from praefect.server.api import task_runs as api


def _id() -> str:
    return str(uuid.uuid4())


def _state(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": _id(), "timestamp": at, **fields}


def _batches(flow_run: str) -> list[list[dict[str, Any]]]:
    """Batches in the shapes the client sends and the odd ones a caller may: rows once per
    batch, a row update without a state, details given or not, result references, times in
    each accepted form, a run continued by a later batch, batches sent again."""
    a, b, c, d, e = (_id() for _ in range(5))
    row_a = {
        "id": a,
        "name": "add-1",
        "flow_run_id": flow_run,
        "task_key": "add-0a1b",
        "dynamic_key": 7,
        "task_version": "v1",
        "cache_key": "ck",
        "cache_expiration": "2031-01-02T03:04:05Z",
        "tags": ["x", "ü"],
        "labels": {"ignored": True},
        "task_inputs": {
            "x": [{"input_type": "task_run", "id": b}],
            "p": [{"input_type": "parameter", "name": "n"}],
        },
        "empirical_policy": {"retries": 2, "retry_delay": [1.5, 3], "custom": {"k": 1}},
        "run_count": 1,
        "flow_run_run_count": 1,
        "created": "2030-01-01T00:00:00.000001+00:00",
        "expected_start_time": "2030-01-01T00:00:00.000001",
        "start_time": "2030-01-01T00:00:01",
        "end_time": "2030-01-01T00:00:02.500000Z",
        "total_run_time": 1.5,
    }
    row_b = {"id": b, "name": "b ✓", "task_key": "b", "created": "2030-01-01T00:00:00Z"}
    # (a row without ``created`` is created now: see the next test)
    at = {"created": "2030-01-01T00:00:00Z"}
    row_c = {"id": c, "name": "c", "flow_run_id": flow_run, "task_key": "", "tags": [], **at}
    row_d = {"id": d, "name": "d", "task_key": "d", "dynamic_key": "3", **at}
    first = [
        {"task_run_id": a, "state": _state("PENDING", "2030-01-01T00:00:00.000002Z")},
        {
            "task_run_id": a,
            "state": _state(
                "RUNNING",
                "2030-01-01T00:00:01.000000+00:00",
                state_details={"task_run_id": a, "flow_run_id": flow_run},
            ),
        },
        {"row": row_b, "state": _state("PENDING", "2030-01-01T00:00:00")},
        {
            "row": row_a,
            "state": _state(
                "COMPLETED",
                "2030-01-01T00:00:02.500000Z",
                message="done ✓",
                data={"__praefect_result_ref__": True, "storage_key": "k", "n": [1]},
            ),
        },
        {"row": {**row_b, "tags": ["late"]}, "state": None},
        {
            "row": row_c,
            "task_run_id": a,  # ignored: the item's own row names its run
            "state": _state(
                "FAILED",
                "2030-01-01T00:00:03Z",
                name="",
                message=None,
                data=[1, 2],
                state_details={"flow_run_id": None},
            ),
        },
        {"row": row_c, "state": _state("CRASHED", "2030-01-01T00:00:04Z", name="Lost", data=5)},
        {
            "row": row_c,
            "state": _state(
                "SCHEDULED",
                "2030-01-01T00:00:04.5Z".replace(".5", ".500000"),
                name="AwaitingRetry",
                state_details={
                    "custom": {"a": None, "ü": [1]},
                    "retriable": True,
                    "scheduled_time": "2030-01-01T00:00:06Z",
                    "cache_expiration": "2030-01-01T00:00:07.000000",
                    "pause_timeout": "2030-01-01T00:00:08.000001+00:00",
                    "dropped": None,
                    "run_input_keyset": {"k": "v"},
                    "flow_run_id": flow_run,
                },
            ),
        },
        {"row": row_d, "state": None},
        {
            "row": {"id": e, "name": "e", "task_key": "e", **at},
            "state": _state("SCHEDULED", "2030-01-01T00:00:05Z", state_details={"task_run_id": e}),
        },
    ]
    later = [
        *first[:2],  # sent again: skipped with their items
        {"row": {**row_a, "run_count": 2}, "state": _state("RUNNING", "2030-01-01T00:01:00Z")},
        {"row": row_d, "state": _state("PENDING", "2030-01-01T00:01:01Z")},
    ]
    # texts that JSON escapes: SQLite writes these events itself
    quoted = [
        {"row": {**row_b, "name": 'b "q"\\'}, "state": _state("RUNNING", "2030-01-01T00:02:00Z")},
        {"task_run_id": b, "state": _state("FAILED", "2030-01-01T00:02:01Z", message="a\nb")},
    ]
    return [first, later, quoted, first, []]


def _stored(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a batch writes, in insertion order, without the times of
    writing (``updated``, ``received``)."""
    out = {}
    with engine.connect() as conn:
        for table, skip in (("task_run", "updated"), ("task_run_state", ""), ("event", "received")):
            # the flow run's own event (made before the batches) is not a batch's
            where = " WHERE event LIKE 'prefect.task-run.%'" if table == "event" else ""
            cursor = conn.exec_driver_sql(f"SELECT * FROM {table}{where} ORDER BY rowid")
            keep = [i for i, col in enumerate(cursor.keys()) if col != skip]
            out[table] = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
    return out


def _create_flow_run(engine: Any, flow_run_id: str) -> None:
    def create(conn: Any) -> None:
        flow_id = orchestration.flows.ensure(conn, "f")
        orchestration.flow_runs.create(
            conn, {"id": uuid.UUID(flow_run_id), "flow_id": flow_id, "name": "r"}
        )

    database.write(engine, create)


def _engine(tmp_path: Any, name: str) -> Any:
    engine = database.get_engine(f"sqlite:///{tmp_path / name}")
    database.read(engine, lambda conn: None)
    return engine


def test_fast_path_stores_the_rows_states_and_events_of_the_general_path(tmp_path, monkeypatch):
    built = []  # per batch with new states: whether the fast path built its events
    events = task_run_batches._events

    def spy(*args: Any) -> Any:
        out = events(*args)
        built.append(out is not None)
        return out

    monkeypatch.setattr(task_run_batches, "_events", spy)
    fast, general = _engine(tmp_path, "fast.db"), _engine(tmp_path, "general.db")
    flow_run = _id()
    for engine in (fast, general):
        _create_flow_run(engine, flow_run)
    for batch in _batches(flow_run):
        body = json.dumps(batch).encode()
        # the fast path takes every batch here; dynamic_key 7 (a number) too
        assert task_run_batches.prepare(api._wire_adapter().validate_json(body)) is not None
        assert api._write_batch(body, fast) == api._write_batch_validated(body, general)
    stored = _stored(fast)
    assert stored == _stored(general)
    assert len(stored["task_run"]) == 5
    assert len(stored["task_run_state"]) == len(stored["event"]) == 12
    assert built == [True, True, False]


def test_a_row_with_a_state_of_its_own_goes_the_general_path(tmp_path):
    row = {"id": _id(), "name": "t", "task_key": "t", "created": "2030-01-01T00:00:00Z"}
    row["state"] = {"type": "PENDING"}
    body = json.dumps([{"row": row, "state": _state("RUNNING", "2030-01-01T00:00:00Z")}])
    assert task_run_batches.prepare(api._wire_adapter().validate_json(body)) is None
    fast, general = _engine(tmp_path, "fast.db"), _engine(tmp_path, "general.db")
    assert api._write_batch(body.encode(), fast) == api._write_batch_validated(
        body.encode(), general
    )
    assert _stored(fast) == _stored(general)


def test_fast_path_defaults_a_states_id_timestamp_and_name_as_the_general_path(tmp_path):
    engine = _engine(tmp_path, "x.db")
    run = _id()
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    body = json.dumps(
        [{"row": {"id": run, "name": "t", "task_key": "t"}, "state": {"type": "RUNNING"}}]
    )
    assert api._write_batch(body.encode(), engine) == 1
    with engine.connect() as conn:
        state_id, name, stamp = conn.exec_driver_sql(
            "SELECT id, name, timestamp FROM task_run_state"
        ).one()
        created, state = conn.exec_driver_sql("SELECT created, state_id FROM task_run").one()
    assert uuid.UUID(state_id).version == 7 and state == state_id and name == "Running"
    assert dt.datetime.fromisoformat(stamp) >= before
    assert dt.datetime.fromisoformat(created) >= before


@pytest.mark.parametrize(
    ("item", "where", "fast"),
    [
        # refused by the fast schema itself
        ({"state": {"type": "PENDING", "id": "not-a-uuid"}}, "body.1.state.id", False),
        ({"state": {"type": "DONE"}}, "body.1.state.type", False),
        ({"row": {"id": "X", "name": "n", "task_key": "k"}}, "body.1.row.id", False),
        ({"row": {"name": "n", "task_key": "k"}}, "body.1.row.id", False),
        ({"state": {"type": "PENDING", "name": "n" * 101}}, "body.1.state.name", False),
        (
            {"state": {"type": "PENDING", "state_details": {"scheduled_time": "soon"}}},
            "body.1.state.state_details.scheduled_time",
            False,
        ),
        (
            {"row": {"id": "RUN", "name": "n", "task_key": "k", "run_count": -1}},
            "body.1.row.run_count",
            False,
        ),
        (
            {"row": {"id": "RUN", "name": "n", "task_key": "k", "dynamic_key": "k" * 256}},
            "body.1.row.dynamic_key",
            False,
        ),
        (
            {
                "row": {
                    "id": "RUN",
                    "name": "n",
                    "task_key": "k",
                    "empirical_policy": {"retries": -1},
                }
            },
            "body.1.row.empirical_policy.retries",
            False,
        ),
        # in the fast schema's form, but no date: refused by prepare
        (
            {
                "row": {
                    "id": "RUN",
                    "name": "n",
                    "task_key": "k",
                    "state": {"type": "PENDING", "timestamp": "2026-02-30T00:00:00Z"},
                }
            },
            "body.1.row.state.timestamp",
            True,
        ),
        (
            {
                "state": {
                    "type": "PENDING",
                    "state_details": {"pause_timeout": "2026-02-29T00:00:00"},
                }
            },
            "body.1.state.state_details.pause_timeout",
            True,
        ),
        (
            {"state": {"type": "PENDING", "timestamp": "2026-02-30T00:00:00Z"}},
            "body.1.state.timestamp",
            True,
        ),
        (
            {"row": {"id": "RUN", "name": "n", "task_key": "k", "end_time": "2026-13-01T00:00:00"}},
            "body.1.row.end_time",
            True,
        ),
    ],
)
def test_bad_item_gets_the_general_paths_422_naming_item_and_field_and_nothing_is_written(
    client, item, where, fast
):
    run = _id()
    item = json.loads(json.dumps(item).replace('"RUN"', json.dumps(run)))
    item.setdefault("task_run_id", run)
    good = {"row": {"id": run, "name": "n", "task_key": "k"}, "state": {"type": "PENDING"}}
    body = json.dumps([good, item]).encode()
    try:
        items = api._wire_adapter().validate_json(body)
    except ValidationError:
        assert not fast
    else:
        assert fast and task_run_batches.prepare(items) is None
    response = client.post(
        "/api/task_runs/batch", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert where in response.json()["exception_message"]
    assert client.post("/api/task_runs/count", json={}).json() == 0


_CANONICAL = TypeAdapter(UtcDatetime)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(
            r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?(Z|\+00:00)?\Z"
        ),
        st.builds(
            lambda at, form: at.isoformat(timespec=form[0]) + form[1],
            st.datetimes(),
            st.sampled_from([("seconds", ""), ("microseconds", "Z"), ("auto", "+00:00")]),
        ),
    )
)
def test_fast_path_takes_a_time_only_if_the_general_path_does_and_reads_it_the_same(text):
    items = [
        {
            "task_run_id": "00000000-0000-0000-0000-000000000001",
            "state": {"type": "PENDING", "timestamp": text},
        }
    ]
    items.insert(
        0, {"row": {"id": "00000000-0000-0000-0000-000000000001", "name": "t", "task_key": "t"}}
    )
    body = json.dumps(items).encode()
    try:
        prepared = task_run_batches.prepare(api._wire_adapter().validate_json(body))
    except ValidationError:
        prepared = None
    if prepared is None:
        return
    expected = _CANONICAL.validate_python(text)  # the general path takes it ...
    stored = prepared[1][1][4]
    assert stored == types._sqlite_text(expected)  # ... as the same time
