"""Every state change of a flow run or task run writes an event."""

from __future__ import annotations

from praefect import flow, task
from praefect.runtime import flow_run, task_run


def _events(resource_id):
    # The user-facing client has no events API yet; the store's client reads them.
    from praefect import client

    return client.get_orchestration_client().read_events(resource_id=resource_id)


def test_flow_run_state_changes_write_events():
    ids = {}

    @flow
    def f():
        ids["flow"] = flow_run.id

    f()
    events = _events(f"prefect.flow-run.{ids['flow']}")
    assert [e["event"] for e in events] == [
        "prefect.flow-run.Pending",
        "prefect.flow-run.Running",
        "prefect.flow-run.Completed",
    ]


def test_task_run_state_changes_write_events():
    ids = {}

    @task(retries=1)
    def flaky():
        ids["task"] = task_run.id
        if task_run.run_count == 1:
            raise RuntimeError("once")

    @flow
    def f():
        flaky()

    f()
    events = _events(f"prefect.task-run.{ids['task']}")
    assert [e["event"] for e in events] == [
        "prefect.task-run.Pending",
        "prefect.task-run.Running",
        "prefect.task-run.AwaitingRetry",
        "prefect.task-run.Retrying",
        "prefect.task-run.Completed",
    ]


def test_failed_flow_writes_a_failed_event():
    ids = {}

    @flow
    def broken():
        ids["flow"] = flow_run.id
        raise ValueError("x")

    broken(return_state=True)
    events = _events(f"prefect.flow-run.{ids['flow']}")
    assert events[-1]["event"] == "prefect.flow-run.Failed"
