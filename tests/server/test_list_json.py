"""Flow-run lists written straight from the database's values (``_list_json``) give the bytes the
``FlowRun`` models give, for runs with every column set, with nulls, and with odd stored values."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from pydantic import TypeAdapter

from praefect import database, orchestration
from praefect.database import tables
from praefect.schemas import objects, sorting
from praefect.schemas.objects import FlowRun, Log, TaskRun
from praefect.schemas.queries import FlowRunQuery, LogQuery, TaskRunQuery
from praefect.schemas.states import State, stored_details_json
from praefect.server.api import _list_json

_UTC = dt.UTC
_NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=_UTC)
_PLUS_2 = dt.timezone(dt.timedelta(hours=2))
_REF = {"__praefect_result_ref__": True, "storage": "local", "key": "abc", "serializer": "json"}


def _models_json(rows: list[dict[str, Any]]) -> bytes:
    return TypeAdapter(list[FlowRun]).dump_json([FlowRun.from_row(row) for row in rows])


def _every_column(flow_id: uuid.UUID, i: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "name": f'full-{i}-ünïcode "quoted" \\ \n',
        "flow_id": flow_id,
        "flow_version": "1.2",
        "deployment_id": uuid.uuid4(),
        "deployment_version": "d1",
        "work_queue_name": "default",
        "work_queue_id": uuid.uuid4(),
        "idempotency_key": f"key-{i}",
        "parameters": {
            "n": i,
            "x": [1, 2.5, 1e-06, 1e16, 123456789012345678901234567890, None, True],
            "nested": {"é": "ü", "list": [{"a": {}}], "empty": []},
            "text": "line\nbreak \u2028 \t <tag> \U0001f600",
        },
        "job_variables": {"env": {"A": "1"}, "image": "python:3.12", "cpu": 0.5},
        "parent_task_run_id": uuid.uuid4(),
        "infrastructure_pid": "host:1234",
        "entrypoint": "flows.py:main",
        "hostname": "worker-1",
        "pid": 4242,
        "heartbeat": _NOW - dt.timedelta(seconds=5),
        "auto_scheduled": True,
        "created": dt.datetime(2026, 3, 4, 7, 0, 0, tzinfo=_PLUS_2),  # stored in UTC
        "expected_start_time": _NOW - dt.timedelta(minutes=10, microseconds=7),
        "empirical_policy": {"retries": 2, "retry_delay": [1, 2], "custom": {"k": [1]}},
        "tags": ["a", "b", "ü"],
        "labels": {"prefect.worker.name": "w-1", "n": 1, "ü": None},
        "run_count": 3,
    }


@pytest.fixture
def engine(database_url: str) -> Any:
    return database.get_engine(database_url)


def _runs(engine: Any) -> list[uuid.UUID]:
    """Runs covering every column and state shape."""

    def make(conn: Any) -> list[uuid.UUID]:
        flow_id = orchestration.flows.ensure(conn, "json-flow")
        made = []
        states = [
            State("PENDING", timestamp=_NOW - dt.timedelta(minutes=9)),
            State("RUNNING", message="go", timestamp=_NOW - dt.timedelta(seconds=90)),
            State(
                "SCHEDULED",
                name="Late",
                state_details={
                    "scheduled_time": dt.datetime(2026, 3, 4, 1, 0, tzinfo=_PLUS_2),
                    "task_run_id": uuid.uuid4(),
                    "retriable": False,
                    "custom": {"nested": [1, "x"]},
                },
                timestamp=dt.datetime(2026, 3, 4, 5, 0, 0, tzinfo=_UTC),  # no microseconds
            ),
            State("COMPLETED", data=_REF, timestamp=_NOW - dt.timedelta(seconds=1)),
            State("FAILED", message="boom", timestamp=_NOW - dt.timedelta(seconds=2)),
            State("CANCELLING", timestamp=_NOW - dt.timedelta(seconds=3)),
        ]
        for i, state in enumerate(states):
            row = _every_column(flow_id, i)
            row["state"] = state
            made.append(orchestration.flow_runs.create_run(conn, row)["id"])
        # a run that ran: start and end times, total run time with sub-microsecond digits
        ran = _every_column(flow_id, 99)
        ran["state"] = State("PENDING", timestamp=_NOW - dt.timedelta(minutes=20))
        ran_id = orchestration.flow_runs.create_run(conn, ran)["id"]
        for kind, seconds in (("RUNNING", 1100), ("COMPLETED", 1.2345678)):
            at = _NOW - dt.timedelta(minutes=20) + dt.timedelta(seconds=seconds)
            orchestration.flow_runs.set_state(conn, ran_id, State(kind, timestamp=at))
        made.append(ran_id)
        # the fewest fields: every nullable column null, no tags, default policy
        bare = orchestration.flow_runs.create_run(conn, {"name": "bare", "flow_id": flow_id})
        made.append(bare["id"])
        # a run whose current state row is missing, and one with no state at all
        lost = orchestration.flow_runs.create_run(conn, {"name": "lost", "flow_id": flow_id})
        state = tables.flow_run_state
        conn.execute(state.delete().where(state.c.id == lost["state_id"]))
        made.append(lost["id"])
        stateless = uuid.uuid4()
        conn.execute(
            tables.flow_run.insert(),
            {
                "id": stateless,
                "name": "stateless",
                "flow_id": flow_id,
                "created": _NOW,
                "updated": _NOW,
                "parameters": {},
                "tags": [],
                "empirical_policy": {},
                "total_run_time": 0.0,
                "run_count": 0,
                "auto_scheduled": False,
            },
        )
        made.append(stateless)
        return made

    return database.write(engine, make)


def _compare(engine: Any, monkeypatch: pytest.MonkeyPatch, **filters: Any) -> bytes:
    monkeypatch.setattr(objects, "now_utc", lambda: _NOW)

    def both(conn: Any) -> tuple[bytes, bytes]:
        query = FlowRunQuery.of(**filters)
        rows = orchestration.flow_runs.read_many(conn, query)
        raw = orchestration.flow_runs.read_many_raw(conn, query)
        return _models_json(rows), _list_json.flow_runs_json(raw, _NOW)

    expected, written = database.read(engine, both)
    assert json.loads(written) == json.loads(expected)  # a readable diff first
    assert written == expected
    return written


def test_flow_run_list_json_is_the_models_json(engine, monkeypatch):
    made = _runs(engine)
    written = _compare(engine, monkeypatch, limit=100)
    listed = json.loads(written)
    assert {run["id"] for run in listed} == {str(run_id) for run_id in made}
    # every column of the run and of its state was set somewhere above
    full = database.read(
        engine, lambda c: orchestration.flow_runs.read_many_raw(c, FlowRunQuery(limit=100))
    )
    for key, values in zip(orchestration.flow_runs.RAW_KEYS, zip(*full, strict=True), strict=True):
        assert any(value is not None for value in values), key
    by_name = {run["name"]: run for run in listed}
    assert by_name["stateless"]["state"] is None and by_name["lost"]["state"] is None
    assert by_name['full-1-ünïcode "quoted" \\ \n']["estimated_run_time"] > 0


def test_flow_run_list_json_sorted_and_filtered(engine, monkeypatch):
    _runs(engine)
    _compare(engine, monkeypatch, sort="EXPECTED_START_TIME_DESC", limit=3, offset=1)
    _compare(engine, monkeypatch, limit=0)


def test_odd_stored_values_are_written_as_the_models_write_them(engine, monkeypatch, database_url):
    """Ids not in canonical text, times in other forms, NaN in JSON (SQLite keeps what it is
    given; PostgreSQL parses ids and times and refuses NaN)."""
    sqlite = database_url.startswith("sqlite")

    def make(conn: Any) -> None:
        flow_id = orchestration.flows.ensure(conn, "odd-flow")
        run_id = uuid.uuid4()
        ids = str(run_id).upper() if sqlite else run_id
        conn.execute(
            tables.flow_run.insert(),
            {
                "id": ids,
                "name": "odd",
                "flow_id": str(flow_id).replace("-", "") if sqlite else flow_id,
                "created": _NOW.replace(microsecond=0),
                "updated": _NOW.astimezone(_PLUS_2),
                "parameters": {"nan": float("nan")} if sqlite else {"big": 10**30},
                "tags": [],
                "empirical_policy": {"retries": None, "pause_keys": ["p"], "resuming": True},
                "total_run_time": 1e-7,
                "run_count": 0,
                "auto_scheduled": False,
            },
        )
        if sqlite:
            conn.exec_driver_sql(
                "UPDATE flow_run SET updated = '2026-03-04T05:06:07+00:00' WHERE name = 'odd'"
            )

    database.write(engine, make)
    _compare(engine, monkeypatch, limit=10)


@pytest.mark.parametrize(
    "details",
    [
        None,
        {},
        {"flow_run_id": "0123456789ABCDEF0123456789ABCDEF", "x": None},
        {"task_run_id": "not-a-uuid", "transition_id": "{01234567-89ab-cdef-0123-456789abcdef}"},
        {"scheduled_time": "2026-01-02T03:04:05", "pause_timeout": "2026-01-02T03:04:05+02:00"},
        {"cache_expiration": "tomorrow", "scheduled_time": 5, "nested": {"a": None}},
        {"scheduled_time": "2026-01-02 03:04:05.000000+00:00", "flow_run_id": 7},
    ],
)
def test_stored_details_json_is_what_a_state_read_back_writes(details):
    record = {"type": "SCHEDULED", "id": uuid.uuid4(), "timestamp": _NOW, "state_details": details}
    assert stored_details_json(details) == State.from_record(record).to_record()["state_details"]


def _task_models_json(rows: list[dict[str, Any]]) -> bytes:
    return TypeAdapter(list[TaskRun]).dump_json([TaskRun.from_row(row) for row in rows])


def _task_runs(engine: Any) -> None:
    """Task runs through the batch writer, covering every column and state shape."""

    def make(conn: Any) -> None:
        flow_id = orchestration.flows.ensure(conn, "task-json-flow")
        flow_run = orchestration.flow_runs.create_run(conn, {"name": "fr", "flow_id": flow_id})
        upstream = uuid.uuid4()
        items = []
        states = [
            State("PENDING", timestamp=_NOW - dt.timedelta(minutes=3)),
            State("RUNNING", message="go", timestamp=_NOW - dt.timedelta(seconds=30)),
            State("COMPLETED", data=_REF, timestamp=_NOW - dt.timedelta(seconds=1)),
            State(
                "SCHEDULED",
                name="AwaitingRetry",
                state_details={"scheduled_time": _NOW + dt.timedelta(seconds=5), "retriable": True},
                timestamp=dt.datetime(2026, 3, 4, 5, 0, 0, tzinfo=_UTC),
            ),
            State("FAILED", message="boom", timestamp=_NOW - dt.timedelta(seconds=2)),
        ]
        for i, state in enumerate(states):
            row = {
                "id": uuid.uuid4(),
                "name": f"task-{i} ü",
                "flow_run_id": flow_run["id"],
                "task_key": f"mod.task-{i}",
                "dynamic_key": str(i),
                "task_version": "v1",
                "cache_key": f"cache-{i}",
                "cache_expiration": _NOW + dt.timedelta(days=1, microseconds=-_NOW.microsecond),
                "task_inputs": {
                    "x": [{"input_type": "task_run", "id": str(upstream)}],
                    "p": [{"input_type": "parameter", "name": "p"}],
                    "c": [{"input_type": "constant", "type": "int"}],
                    "none": [],
                },
                "flow_run_run_count": 2,
                "run_count": 1,
                "expected_start_time": _NOW - dt.timedelta(minutes=4),
                "start_time": _NOW - dt.timedelta(minutes=3) if i % 2 else None,
                "end_time": _NOW if i == 2 else None,
                "total_run_time": 1.2345678 * i,
                "empirical_policy": {"retries": i, "retry_delay": [1.5], "extra": "x"},
                "tags": ["t", "ü"] if i else [],
                "created": _NOW - dt.timedelta(minutes=5, seconds=i),
            }
            items.append((row, state))
        # a task run with the fewest fields and no state
        bare = {"id": uuid.uuid4(), "name": "bare", "task_key": "k", "dynamic_key": "0"}
        items.append((bare, None))
        orchestration.task_runs.write_batch(conn, items)
        # the batch writer leaves next_scheduled_start_time alone: set it through Core
        task = tables.task_run
        first = task.update().where(task.c.id == items[3][0]["id"])
        conn.execute(first.values(next_scheduled_start_time=_NOW + dt.timedelta(seconds=5)))

    database.write(engine, make)


def _compare_task_runs(engine: Any, monkeypatch: pytest.MonkeyPatch, **filters: Any) -> bytes:
    monkeypatch.setattr(objects, "now_utc", lambda: _NOW)

    def both(conn: Any) -> tuple[bytes, bytes]:
        query = TaskRunQuery.of(**filters)
        rows = orchestration.task_runs.read_many(conn, query)
        raw = orchestration.task_runs.read_many_raw(conn, query)
        return _task_models_json(rows), _list_json.task_runs_json(raw, _NOW)

    expected, written = database.read(engine, both)
    assert json.loads(written) == json.loads(expected)
    assert written == expected
    return written


def test_task_run_list_json_is_the_models_json(engine, monkeypatch):
    _task_runs(engine)
    listed = json.loads(_compare_task_runs(engine, monkeypatch, limit=100))
    assert len(listed) == 6
    full = database.read(
        engine, lambda c: orchestration.task_runs.read_many_raw(c, TaskRunQuery(limit=100))
    )
    for key, values in zip(orchestration.task_runs.RAW_KEYS, zip(*full, strict=True), strict=True):
        assert any(value is not None for value in values), key
    for sort in sorting.TaskRunSort:
        for offset in (0, 2):
            _compare_task_runs(engine, monkeypatch, sort=sort, limit=3, offset=offset)


def test_log_list_json_is_the_models_json(engine):
    run_id, task_id = uuid.uuid4(), uuid.uuid4()
    rows = [
        {
            "name": "praefect.flow_runs",
            "level": 20 + i,
            "message": f'line {i} ü \\n "quoted"\n',
            "timestamp": _NOW - dt.timedelta(seconds=i, microseconds=_NOW.microsecond * (i % 2)),
            "flow_run_id": run_id if i % 3 else None,
            "task_run_id": task_id if i % 2 else None,
        }
        for i in range(6)
    ]
    rows[0]["timestamp"] = rows[0]["timestamp"].astimezone(_PLUS_2)
    database.write(engine, lambda conn: orchestration.logs.write_batch(conn, rows))
    for sort in ("TIMESTAMP_ASC", "TIMESTAMP_DESC"):

        def both(conn: Any, sort: str = sort) -> tuple[bytes, bytes]:
            models = [
                Log.model_validate(row)
                for row in orchestration.logs.read_many(conn, LogQuery(sort=sort))
            ]
            raw = orchestration.logs.read_many_raw(conn, LogQuery(sort=sort, limit=4, offset=1))
            page = TypeAdapter(list[Log]).dump_json(models[1:5])
            return page, _list_json.logs_json(raw)

        expected, written = database.read(engine, both)
        assert json.loads(written) == json.loads(expected)
        assert written == expected
