"""Smoke test of the whole engine on PostgreSQL: a real flow with tasks, retries, logs and a
subflow runs with ``PRAEFECT_DATABASE_URL`` on PostgreSQL (the embedded client), and everything
is read back as a user would. The rest of ``tests/engine`` covers SQLite."""

from __future__ import annotations

import pytest

import praefect
from praefect import database, flow, get_run_logger, task
from praefect.runtime import task_run
from praefect.schemas.events import EventFilter
from tests.engine.conftest import (
    child_flow_runs_of,
    flow_run_id_of,
    logs_of,
    state_names,
    task_runs_of,
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_flow_with_retries_logs_and_a_subflow_is_recorded_in_postgres(use_database):
    attempts: list[int] = []

    @task(retries=2, retry_delay_seconds=0)
    def flaky(x: int) -> int:
        attempts.append(task_run.run_count)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        get_run_logger().info("flaky done with %s", x)
        return x + 1

    @task(tags=["math"])
    def double(x: int) -> int:
        return 2 * x

    @flow
    def child(n: int) -> list[int]:
        get_run_logger().info("child of %s", n)
        return [double(i) for i in range(n)]

    @flow
    def parent() -> tuple[int, list[int]]:
        get_run_logger().info("parent starts")
        return flaky(1), child(3)

    state = parent(return_state=True)
    assert state.result() == (2, [0, 2, 4])
    assert database.get_engine().dialect.name == "postgresql"

    parent_id = flow_run_id_of(state)
    with praefect.get_client(sync_client=True) as client:
        run = client.read_flow_run(parent_id)
        assert run.state.name == "Completed" and run.run_count == 1
        assert state_names(client.read_flow_run_states(parent_id)) == [
            "Pending",
            "Running",
            "Completed",
        ]
        tasks = {t.name.rsplit("-", 1)[0]: t for t in task_runs_of(client, parent_id)}
        assert set(tasks) == {"flaky", "child"}
        flaky_run = tasks["flaky"]
        assert flaky_run.run_count == 3 and flaky_run.state.name == "Completed"
        assert state_names(client.read_task_run_states(flaky_run.id)) == [
            "Pending",
            "Running",
            "AwaitingRetry",
            "Retrying",
            "AwaitingRetry",
            "Retrying",
            "Completed",
        ]
        [sub] = child_flow_runs_of(client, parent_id)
        assert sub.state.name == "Completed"
        doubles = task_runs_of(client, sub.id)
        assert len(doubles) == 3
        assert all(t.state.name == "Completed" and t.tags == ["math"] for t in doubles)
        messages = [log.message for log in logs_of(client, parent_id)]
        assert "parent starts" in messages and "flaky done with 1" in messages
        assert "child of 3" in [log.message for log in logs_of(client, sub.id)]

    events = database.read(
        database.get_engine(),
        lambda conn: praefect.orchestration.events.query(
            conn,
            EventFilter.model_validate(
                {"resource": {"id": [f"prefect.task-run.{flaky_run.id}"]}, "order": "ASC"}
            ),
        ),
    )
    assert [e["event"] for e in events][-1] == "prefect.task-run.Completed"
    assert events[-1]["payload"]["intended"] == {"from": "RUNNING", "to": "COMPLETED"}
    assert {"prefect.resource.id": f"prefect.flow-run.{parent_id}"}.items() <= (
        events[-1]["related"][0].items()
    )
