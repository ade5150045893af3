"""Task-run batches delivered out of order (T9): two processes sharing a spool deliver its
batches in any order after an outage, and a batch may be sent twice. The state history keeps
every state; the current state and the fields that go with it are those of the newest state,
whatever order the batches came in."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest

from praefect import database
from praefect.client import http
from praefect.schemas.states import State, StateType
from praefect.server.api import task_runs as api

_T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _life(index: int) -> list[tuple[dict[str, Any], State]]:
    """The (row, state) items the engine queues for one task run: Pending, Running, then
    Completed; every third run fails once and is retried first."""
    at = _T0 + dt.timedelta(seconds=index)
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": f"t-{index}",
        "task_key": "t",
        "flow_run_id": None,
        "tags": ["order"],
        "run_count": 0,
        "created": at,
        "expected_start_time": at,
        "start_time": None,
        "end_time": None,
        "total_run_time": 0.0,
    }
    items = []

    def step(kind: StateType, name: str | None = None, **fields: Any) -> None:
        nonlocal at
        at += dt.timedelta(milliseconds=1)
        row.update(fields)
        state = State(kind, name=name, timestamp=at)
        state.state_details["task_run_id"] = row["id"]
        items.append((dict(row), state))

    step(StateType.PENDING)
    step(StateType.RUNNING, run_count=1, start_time=at + dt.timedelta(milliseconds=1))
    if index % 3 == 0:
        step(StateType.SCHEDULED, "AwaitingRetry")
        step(StateType.RUNNING, "Retrying", run_count=2)
    step(StateType.COMPLETED, end_time=at + dt.timedelta(milliseconds=1), total_run_time=0.5)
    return items


def _batches(runs: int, rng: random.Random) -> list[list[tuple[dict[str, Any], State]]]:
    """The items of ``runs`` task runs interleaved as a flow of concurrent tasks queues them,
    cut into batches as the writer cuts its queue."""
    lives = [_life(i) for i in range(runs)]
    queue = []
    while lives:
        life = rng.choice(lives)
        queue.append(life.pop(0))
        if not life:
            lives.remove(life)
    batches = []
    while queue:
        size = rng.randint(1, 12)
        batches.append(queue[:size])
        queue = queue[size:]
    return batches


def _final(engine: Any) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, state_id, state_type, state_name, run_count, start_time, end_time,"
            " total_run_time FROM task_run"
        ).all()
        histories = dict(
            conn.exec_driver_sql(
                "SELECT task_run_id, count(*) FROM task_run_state GROUP BY task_run_id"
            ).all()
        )
    return {str(row[0]): (*row[1:], histories[row[0]]) for row in rows}


@pytest.mark.parametrize("path", ["fast", "general"])
def test_shuffled_and_repeated_batches_end_in_the_in_order_state(database_url, path):
    if path == "fast" and not database_url.startswith("sqlite"):
        pytest.skip("the fast path is SQLite's")
    rng = random.Random(7)
    batches = _batches(60, rng)
    engine = database.get_engine(database_url)
    write = api._write_batch if path == "fast" else api._write_batch_validated
    for batch in batches:
        write(http.task_run_body(batch), engine)
    in_order = _final(engine)
    assert {row[1] for row in in_order.values()} == {"COMPLETED"}

    with engine.begin() as conn:
        for table in ("event", "task_run_state", "task_run"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    shuffled = batches + rng.sample(batches, len(batches) // 3)  # some sent twice
    rng.shuffle(shuffled)
    for batch in shuffled:
        write(http.task_run_body(batch), engine)
    assert _final(engine) == in_order


def test_a_late_running_does_not_replace_completed_on_either_sqlite_writer(tmp_path):
    # the embedded writer (task_runs.write_batch) takes the same guard as the batch route
    from praefect import orchestration

    engine = database.get_engine(f"sqlite:///{tmp_path / 'x.db'}")
    pending, running, completed = _life(1)
    database.write(engine, lambda c: orchestration.task_runs.write_batch(c, [completed]))
    database.write(engine, lambda c: orchestration.task_runs.write_batch(c, [pending, running]))
    run = database.read(engine, lambda c: orchestration.task_runs.read(c, completed[0]["id"]))
    assert run["state_type"] == "COMPLETED" and run["end_time"] is not None
    states = database.read(
        engine, lambda c: orchestration.task_runs.read_states(c, completed[0]["id"])
    )
    assert [s.type.value for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
