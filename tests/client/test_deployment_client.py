"""The deployment methods of ``get_client()``: the same behaviour through the embedded door
and through the HTTP door (a real server on a loopback port)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from praefect import exceptions
from praefect.client.orchestration import PrefectClient, SyncPrefectClient
from praefect.schedules import Interval
from praefect.schemas import actions, filters
from praefect.schemas.schedules import CronSchedule, IntervalSchedule
from praefect.schemas.states import State, StateType


@pytest.fixture
def client(door) -> SyncPrefectClient:
    return SyncPrefectClient(door)


def test_create_read_update_and_delete_a_deployment(client):
    flow_id = client.create_flow_from_name("etl")
    deployment_id = client.create_deployment(
        flow_id,
        "nightly",
        version="1",
        parameters={"n": 2},
        tags=["etl"],
        schedules=[(CronSchedule(cron="0 9 * * *"), True), IntervalSchedule(interval=60)],
        entrypoint="flows.py:etl",
    )
    deployment = client.read_deployment(deployment_id)
    assert deployment.name == "nightly" and deployment.flow_id == flow_id
    assert [type(s.schedule).__name__ for s in deployment.schedules] == [
        "CronSchedule",
        "IntervalSchedule",
    ]
    assert deployment.schedules[1].schedule.interval == dt.timedelta(seconds=60)
    assert client.read_deployment_by_name("etl/nightly").id == deployment_id
    with pytest.raises(exceptions.ObjectNotFound, match="etl/other"):
        client.read_deployment_by_name("etl/other")
    with pytest.raises(ValueError, match="flow-name/deployment-name"):
        client.read_deployment_by_name("nightly")

    # creating it again updates it in place
    assert client.create_deployment(flow_id, "nightly", version="2") == deployment_id
    assert client.read_deployment(deployment_id).version == "2"

    client.update_deployment(deployment_id, actions.DeploymentUpdate(description="weekly"))
    assert client.read_deployment(deployment_id).description == "weekly"
    client.pause_deployment(deployment_id)
    assert client.read_deployment(deployment_id).paused is True
    client.resume_deployment(deployment_id)
    assert client.read_deployment(deployment_id).paused is False

    found = client.read_deployments(
        deployment_filter=filters.DeploymentFilter(
            name=filters.DeploymentFilterName(any_=["nightly"])
        )
    )
    assert [d.id for d in found] == [deployment_id]
    assert client.count_deployments() == 1

    client.delete_deployment(deployment_id)
    with pytest.raises(exceptions.ObjectNotFound):
        client.read_deployment(deployment_id)
    with pytest.raises(exceptions.ObjectNotFound):
        client.delete_deployment(deployment_id)


def test_create_flow_run_from_deployment(client):
    flow_id = client.create_flow_from_name("etl")
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": [],
    }
    deployment_id = client.create_deployment(
        flow_id, "manual", parameters={"n": 1}, tags=["d"], parameter_openapi_schema=schema
    )
    run = client.create_flow_run_from_deployment(
        deployment_id, parameters={"n": 4}, tags=["r"], name="by-hand", idempotency_key="k"
    )
    assert run.deployment_id == deployment_id
    assert run.state.type is StateType.SCHEDULED
    assert run.parameters == {"n": 4} and run.name == "by-hand"
    assert set(run.tags) == {"d", "r"}
    again = client.create_flow_run_from_deployment(deployment_id, idempotency_key="k")
    assert again.id == run.id
    pending = client.create_flow_run_from_deployment(deployment_id, state=State("PENDING"))
    assert pending.state.type is StateType.PENDING
    with pytest.raises(ValueError, match="n: 'x' is not of type 'integer'"):
        client.create_flow_run_from_deployment(deployment_id, parameters={"n": "x"})
    with pytest.raises(exceptions.ObjectNotFound):
        client.create_flow_run_from_deployment(uuid.uuid4())


def test_deployment_schedules(client):
    flow_id = client.create_flow_from_name("etl")
    deployment_id = client.create_deployment(flow_id, "scheduled")
    [created, hourly] = client.create_deployment_schedules(
        deployment_id,
        [(CronSchedule(cron="*/5 * * * *"), False), Interval(3600, parameters={"n": 1})],
    )
    assert hourly.parameters == {"n": 1} and hourly.schedule.interval == dt.timedelta(hours=1)
    client.delete_deployment_schedule(deployment_id, hourly.id)
    assert created.active is False and created.schedule.cron == "*/5 * * * *"
    client.update_deployment_schedule(deployment_id, created.id, active=True)
    [read] = client.read_deployment_schedules(deployment_id)
    assert read.active is True
    client.delete_deployment_schedule(deployment_id, created.id)
    assert client.read_deployment_schedules(deployment_id) == []
    with pytest.raises(exceptions.ObjectNotFound):
        client.delete_deployment_schedule(deployment_id, created.id)


async def test_the_async_client_has_the_deployment_methods(door):
    async with PrefectClient(door) as client:
        flow_id = await client.create_flow_from_name("etl")
        deployment_id = await client.create_deployment(flow_id, "async")
        deployment = await client.read_deployment(deployment_id)
    assert deployment.name == "async"
