"""``POST /api/deployments/{id}/schedule``: the scheduler's work, on demand."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from praefect import database, orchestration
from praefect.database import tables
from praefect.schemas.schedules import CronSchedule, IntervalSchedule

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def deployment(database_url: str):
    """Insert a deployment with one schedule, as orchestration.deployments stores it."""

    def make(schedule: Any, **fields: Any) -> str:
        deployment_id = uuid.uuid4()

        def write(conn: sa.Connection) -> None:
            flow_id = orchestration.flows.ensure(conn, "api-flow")
            conn.execute(
                tables.deployment.insert().values(
                    id=deployment_id,
                    created=T0,
                    updated=T0,
                    name=f"dep-{deployment_id.hex[:6]}",
                    flow_id=flow_id,
                    tags=["t"],
                    parameters={"n": 1},
                    job_variables={},
                    **fields,
                )
            )
            conn.execute(
                tables.deployment_schedule.insert().values(
                    id=uuid.uuid4(),
                    created=T0,
                    updated=T0,
                    deployment_id=deployment_id,
                    schedule=schedule.model_dump(mode="json"),
                    parameters={},
                )
            )

        database.write(database.get_engine(database_url), write)
        return str(deployment_id)

    return make


def _runs(client, deployment_id: str) -> list[dict[str, Any]]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
    response = client.post("/api/flow_runs/filter", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_schedule_creates_the_next_runs_once(client, deployment):
    deployment_id = deployment(IntervalSchedule(interval=dt.timedelta(hours=1), anchor_date=T0))
    body = {"start_time": T0.isoformat(), "min_runs": 3, "min_time": 0}

    first = client.post(f"/api/deployments/{deployment_id}/schedule", json=body)
    again = client.post(f"/api/deployments/{deployment_id}/schedule", json=body)

    assert first.status_code == again.status_code == 200
    runs = _runs(client, deployment_id)
    assert [r["expected_start_time"] for r in runs] == [
        "2030-01-01T12:00:00Z",
        "2030-01-01T13:00:00Z",
        "2030-01-01T14:00:00Z",
    ]
    assert {r["state"]["type"] for r in runs} == {"SCHEDULED"}
    assert all(r["auto_scheduled"] and r["parameters"] == {"n": 1} for r in runs)
    assert all(r["tags"] == ["auto-scheduled", "t"] for r in runs)


def test_schedule_respects_max_runs_and_end_time(client, deployment):
    deployment_id = deployment(CronSchedule(cron="*/10 * * * *"))
    url = f"/api/deployments/{deployment_id}/schedule"
    client.post(url, json={"start_time": T0.isoformat(), "max_runs": 4, "min_time": 86400})
    assert len(_runs(client, deployment_id)) == 4
    end = (T0 + dt.timedelta(hours=2)).isoformat()
    client.post(url, json={"start_time": T0.isoformat(), "end_time": end, "min_time": 86400})
    assert len(_runs(client, deployment_id)) == 13  # 12:00 .. 14:00


def test_schedule_with_no_body_uses_the_scheduler_settings(client, deployment):
    deployment_id = deployment(CronSchedule(cron="0 0 1 * *"))  # monthly
    assert client.post(f"/api/deployments/{deployment_id}/schedule").status_code == 200
    assert len(_runs(client, deployment_id)) == 3  # the default min_runs


def test_a_paused_deployment_gets_no_runs(client, deployment):
    deployment_id = deployment(CronSchedule(cron="* * * * *"), paused=True)
    assert client.post(f"/api/deployments/{deployment_id}/schedule").status_code == 200
    assert _runs(client, deployment_id) == []


def test_schedule_of_an_unknown_deployment_is_404(client):
    missing = uuid.uuid4()
    response = client.post(f"/api/deployments/{missing}/schedule", json={})
    assert response.status_code == 404
    assert str(missing) in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_runs": -1}, "min_runs"),
        ({"max_runs": 10**6}, "max_runs"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"min_time": "soon"}, "min_time"),
    ],
)
def test_bad_schedule_body_is_422_naming_the_field(client, deployment, body, field):
    deployment_id = deployment(CronSchedule(cron="@daily"))
    response = client.post(f"/api/deployments/{deployment_id}/schedule", json=body)
    assert response.status_code == 422
    assert field in response.json()["exception_message"]
