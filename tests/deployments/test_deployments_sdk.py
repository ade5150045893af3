"""``flow.to_deployment(...).apply()``, ``flow.deploy()``, ``deploy()`` and
``run_deployment()`` on the embedded store."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from flows_for_deployments import scheduled_report

from praefect import exceptions, schedules
from praefect.deployments import RunnerDeployment, arun_deployment, deploy, run_deployment
from praefect.schemas.states import StateType


def test_to_deployment_apply_records_everything(client):
    deployment = scheduled_report.to_deployment(
        "nightly",
        schedules=[schedules.Cron("0 9 * * 1-5", timezone="Europe/Paris"), schedules.Interval(60)],
        parameters={"n": 3},
        tags=["reports"],
        version="v1",
    )
    assert isinstance(deployment, RunnerDeployment)
    deployment_id = deployment.apply()
    stored = client.read_deployment_by_name("scheduled-report/nightly")
    assert stored.id == deployment_id
    assert stored.parameters == {"n": 3} and stored.tags == ["reports"]
    assert stored.version == "v1"
    assert stored.description == "A report, made every so often."
    assert stored.entrypoint == "tests/deployments/flows_for_deployments.py:scheduled_report"
    assert stored.path == str(Path.cwd())
    assert [s.schedule.cron for s in stored.schedules[:1]] == ["0 9 * * 1-5"]
    assert stored.schedules[1].schedule.interval == dt.timedelta(seconds=60)
    schema = stored.parameter_openapi_schema
    assert schema["properties"]["n"] == {
        "default": 1,
        "position": 0,
        "title": "n",
        "type": "integer",
    }
    assert schema["required"] == []


def test_applying_again_updates_the_same_deployment_and_keeps_paused(client):
    first = scheduled_report.to_deployment("d", cron="* * * * *", paused=True).apply()
    again = scheduled_report.to_deployment("d", interval=120, description="changed").apply()
    assert again == first
    stored = client.read_deployment(first)
    assert stored.paused is True  # paused=None keeps it
    assert stored.description == "changed"
    assert [s.schedule.interval for s in stored.schedules] == [dt.timedelta(seconds=120)]


def test_schedule_shortcuts_are_exclusive():
    with pytest.raises(ValueError, match="only one of"):
        scheduled_report.to_deployment("d", cron="* * * * *", interval=60)


def test_run_deployment_creates_a_scheduled_run(client):
    deployment_id = scheduled_report.to_deployment(
        "manual", parameters={"n": 3}, tags=["dep"]
    ).apply()
    run = run_deployment(
        "scheduled-report/manual",
        parameters={"n": 5},
        timeout=0,
        tags=["run"],
        flow_run_name="by-hand",
    )
    assert run.deployment_id == deployment_id
    assert run.state.type is StateType.SCHEDULED
    assert run.parameters == {"n": 5} and run.name == "by-hand"
    assert set(run.tags) == {"dep", "run"}
    assert run.entrypoint.endswith(":scheduled_report")

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    by_id = run_deployment(deployment_id, timeout=0, scheduled_time=later, idempotency_key="k")
    assert by_id.parameters == {"n": 3}
    assert by_id.state.state_details.scheduled_time == later
    assert run_deployment(str(deployment_id), timeout=0, idempotency_key="k").id == by_id.id


def test_run_deployment_waits_at_most_timeout_for_a_run_nobody_runs(client):
    scheduled_report.to_deployment("idle").apply()
    run = run_deployment("scheduled-report/idle", timeout=0.05, poll_interval=0.01)
    assert run.state.type is StateType.SCHEDULED


def test_run_deployment_refuses_parameters_the_flow_does_not_take(client):
    scheduled_report.to_deployment("strict").apply()
    with pytest.raises(ValueError, match="n: 'many' is not of type 'integer'"):
        run_deployment("scheduled-report/strict", parameters={"n": "many"}, timeout=0)
    with pytest.raises(exceptions.ObjectNotFound, match="scheduled-report/ghost"):
        run_deployment("scheduled-report/ghost", timeout=0)


async def test_arun_deployment(client):
    scheduled_report.to_deployment("async").apply()
    run = await arun_deployment("scheduled-report/async", timeout=0)
    assert run.state.type is StateType.SCHEDULED


def test_deploy_needs_an_existing_work_pool(client, work_pool):
    with pytest.raises(ValueError, match="No work pool"):
        deploy(scheduled_report.to_deployment("pooled"))
    with pytest.raises(exceptions.ObjectNotFound, match="praefect work-pool create ghost"):
        scheduled_report.deploy("pooled", work_pool_name="ghost", print_next_steps=False)
    assert client.read_deployments() == []

    queue_id = work_pool("local")
    deployment_id = scheduled_report.deploy("pooled", work_pool_name="local", cron="0 0 * * *")
    stored = client.read_deployment(deployment_id)
    assert stored.work_pool_name == "local" and stored.work_queue_id == queue_id
    run = run_deployment(deployment_id, timeout=0)
    assert run.work_queue_id == queue_id


def test_deploy_prints_the_next_steps(client, work_pool, capsys):
    work_pool("local")
    [deployment_id] = deploy(scheduled_report.to_deployment("loud"), work_pool_name="local")
    assert isinstance(deployment_id, uuid.UUID)
    out = capsys.readouterr().out
    assert "praefect worker start --pool local" in out
    assert "praefect deployment run 'scheduled-report/loud'" in out


def test_image_builds_are_refused_with_a_clear_message(client, work_pool):
    work_pool("local")
    with pytest.raises(ValueError, match="process work pool"):
        scheduled_report.deploy("img", work_pool_name="local", image="me/flows:1")


def test_run_deployment_inside_a_flow_is_a_subflow_of_it(client):
    from praefect import flow
    from praefect.runtime import flow_run

    scheduled_report.to_deployment("child").apply()

    @flow
    def parent() -> tuple:
        first = run_deployment("scheduled-report/child", timeout=0)
        second = run_deployment("scheduled-report/child", timeout=0)
        alone = run_deployment("scheduled-report/child", timeout=0, as_subflow=False)
        return flow_run.id, first, second, alone

    parent_id, first, second, alone = parent()
    assert first.id != second.id  # two calls, two runs
    wrapper = client.read_task_run(first.parent_task_run_id)
    assert str(wrapper.flow_run_id) == str(parent_id)
    assert wrapper.task_key == "run_deployment-scheduled-report-child"
    assert first.idempotency_key == f"{parent_id}-{wrapper.task_key}-{wrapper.dynamic_key}"
    assert alone.parent_task_run_id is None and alone.idempotency_key is None


def test_a_waited_for_subflow_run_gives_its_final_state_to_the_parents_task_run(client):
    import threading
    import time

    from praefect import flow, states
    from praefect.schemas import filters

    deployment_id = scheduled_report.to_deployment("waited").apply()
    of_deployment = filters.DeploymentFilter(id=filters.DeploymentFilterId(any_=[deployment_id]))

    def play_the_worker() -> None:
        for _ in range(1000):
            runs = client.read_flow_runs(deployment_filter=of_deployment)
            if runs:
                client.set_flow_run_state(runs[0].id, states.Running())
                client.set_flow_run_state(runs[0].id, states.Completed())
                return
            time.sleep(0.005)

    @flow
    def parent():
        return run_deployment("scheduled-report/waited", timeout=10, poll_interval=0.01)

    worker = threading.Thread(target=play_the_worker)
    worker.start()
    child = parent()
    worker.join()
    assert child.state.type is StateType.COMPLETED
    wrapper = client.read_task_run(child.parent_task_run_id)
    assert wrapper.state.type is StateType.COMPLETED
