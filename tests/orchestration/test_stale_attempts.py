"""A replaced attempt cannot write: its task-run states stamped after the next attempt of its
flow run began are not recorded (on every write path), what it wrote before is history (a
flow retry in one process may deliver its records late), and its heartbeats are ignored."""

import datetime as dt
import uuid
from typing import Any

import pytest

from praefect import database, exceptions, orchestration
from praefect.client import http
from praefect.schemas.states import State, StateType
from praefect.server.api import task_runs as api

_T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return _T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def retried_run(new_run, propose, read_run) -> uuid.UUID:
    """A flow run whose attempt 1 ran from 1 s to 2 s and whose attempt 2 began at 10 s."""
    run = new_run(State("PENDING", timestamp=_T0))
    propose(run, State("RUNNING", timestamp=_at(1)), now=_at(1))
    propose(run, State("FAILED", timestamp=_at(2)), True, _at(2))
    propose(run, State("SCHEDULED", name="AwaitingRetry", timestamp=_at(3)), True, _at(3))
    propose(run, State("RUNNING", name="Retrying", timestamp=_at(10)), now=_at(10))
    assert read_run(run)["run_count"] == 2
    return run


def _task(flow_run_id: uuid.UUID, attempt: int, start: float) -> list[tuple[dict[str, Any], State]]:
    """A task run of ``attempt``: Pending, Running, Completed from ``start`` seconds."""
    row = {
        "id": uuid.uuid4(),
        "name": f"task-{attempt}-{start:g}",
        "task_key": "task",
        "flow_run_id": flow_run_id,
        "flow_run_run_count": attempt,
        "run_count": 0,
    }
    items = []
    for offset, kind in enumerate((StateType.PENDING, StateType.RUNNING, StateType.COMPLETED)):
        state = State(kind, timestamp=_at(start + offset / 10))
        state.state_details.update(task_run_id=row["id"], flow_run_id=flow_run_id)
        items.append((dict(row, run_count=1 if offset else 0), state))
    return items


def _writes(path: str, database_url: str) -> Any:
    if path == "fast" and not database_url.startswith("sqlite"):
        pytest.skip("the fast path is SQLite's")
    if path == "embedded":
        return lambda items, engine: database.write(
            engine, lambda conn: orchestration.task_runs.write_batch(conn, items)
        )
    write = api._write_batch if path == "fast" else api._write_batch_validated
    return lambda items, engine: write(http.task_run_body(items), engine)


@pytest.mark.parametrize("path", ["fast", "general", "embedded"])
def test_task_run_states_of_a_replaced_attempt_are_not_recorded(
    engine, database_url, retried_run, path, caplog
):
    write = _writes(path, database_url)
    late_history = _task(retried_run, 1, 1.5)  # attempt 1's, delivered after attempt 2 began
    stale = _task(retried_run, 1, 11)  # attempt 1 going on after attempt 2 began
    straddling = _task(retried_run, 1, 9.85)  # Pending, Running before 10 s; Completed after
    current = _task(retried_run, 2, 11)
    unknown = _task(retried_run, 0, 12)  # a client that does not say its attempt (Prefect's)
    write(late_history + stale + straddling + current + unknown, engine)
    assert (
        f"Did not record 4 task-run write(s) made after their attempt was replaced (attempt 1 of flow run {retried_run})"
        in caplog.text
    )

    with engine.connect() as conn:
        runs = {
            row["name"]: (
                row["state_type"],
                len(orchestration.task_runs.read_states(conn, row["id"])),
            )
            for row in orchestration.task_runs.read_many(conn)
        }
    assert runs == {
        "task-1-1.5": ("COMPLETED", 3),
        "task-1-9.85": ("RUNNING", 2),
        "task-2-11": ("COMPLETED", 3),
        "task-0-12": ("COMPLETED", 3),
    }


def test_a_stale_task_run_create_is_refused_with_the_reason(database_url, retried_run):
    from fastapi.testclient import TestClient

    from praefect.server.app import create_app

    body = {
        "name": "late",
        "task_key": "task",
        "flow_run_id": str(retried_run),
        "flow_run_run_count": 1,
        "state": {"type": "PENDING", "timestamp": _at(11).isoformat()},
    }
    with TestClient(create_app(database_url=database_url)) as client:
        answer = client.post("/api/task_runs/", json=body)
    assert answer.status_code == 422
    assert "attempt 1 of flow run" in answer.json()["detail"]
    assert "replaced by a newer attempt" in answer.json()["detail"]


def test_heartbeats_of_a_replaced_attempt_are_ignored(engine, retried_run, read_run):
    def beat(at: float, attempt: int | None) -> Any:
        return database.write(
            engine,
            lambda conn: orchestration.flow_runs.update(
                conn, retried_run, attempt, heartbeat=_at(at)
            ),
        )

    assert beat(20, 2) is True
    assert beat(21, 1) is False
    assert read_run(retried_run)["heartbeat"] == _at(20)
    assert beat(22, None) is True  # no attempt said: as Prefect's clients
    assert read_run(retried_run)["heartbeat"] == _at(22)
    update = orchestration.flow_runs.update
    with pytest.raises(exceptions.FlowRunNotFound):
        database.write(engine, lambda conn: update(conn, uuid.uuid4(), 1, heartbeat=_at(1)))
