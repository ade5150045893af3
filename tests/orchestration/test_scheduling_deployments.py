"""The scheduler over deployments made by ``orchestration.deployments`` (create, pause, resume,
schedule changes), at the real time: what a server does after ``praefect deploy``."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

import sqlalchemy as sa

from praefect import database, orchestration
from praefect.database import tables
from praefect.orchestration import deployments, scheduling
from praefect.schemas.schedules import CronSchedule, DeploymentScheduleCreate, IntervalSchedule

UTC = dt.UTC


def _deploy(engine: sa.Engine, *schedules: DeploymentScheduleCreate, **fields: Any) -> uuid.UUID:
    def write(conn: sa.Connection) -> uuid.UUID:
        flow_id = orchestration.flows.ensure(conn, "etl")
        row = deployments.create(
            conn,
            {"name": "nightly", "flow_id": flow_id, "schedules": list(schedules), **fields},
        )
        return row["id"]

    return database.write(engine, write)


def _runs(engine: sa.Engine, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(tables.flow_run)
        .where(tables.flow_run.c.deployment_id == deployment_id)
        .order_by(tables.flow_run.c.expected_start_time)
    )
    return database.read(engine, lambda conn: [dict(r) for r in conn.execute(query).mappings()])


def _schedule(engine: sa.Engine, **kwargs: Any) -> list[uuid.UUID]:
    return database.write(engine, lambda conn: scheduling.schedule_runs(conn, **kwargs))


def _every_minute() -> DeploymentScheduleCreate:
    return DeploymentScheduleCreate(
        schedule=IntervalSchedule(
            interval=dt.timedelta(minutes=1), anchor_date=dt.datetime(2020, 1, 1, tzinfo=UTC)
        ),
        parameters={"n": 7},
    )


def test_a_new_deployment_gets_its_runs_and_no_catch_up_burst(engine):
    deployment_id = _deploy(engine, _every_minute(), parameters={"n": 1, "label": "x"})

    created = _schedule(engine, min_runs=3, min_time=0, catch_up="all")

    runs = _runs(engine, deployment_id)
    now = dt.datetime.now(UTC)
    assert len(created) == len(runs) == 3  # nothing before the deployment existed
    assert all(r["expected_start_time"] >= now - dt.timedelta(minutes=1) for r in runs)
    assert runs[0]["parameters"] == {"n": 7, "label": "x"}


def test_pause_and_resume_through_the_deployments_service(engine):
    deployment_id = _deploy(engine, _every_minute())
    _schedule(engine, min_runs=3, min_time=0)

    database.write(engine, lambda conn: deployments.pause(conn, deployment_id))
    assert _runs(engine, deployment_id) == []  # its unstarted runs went with the pause
    assert _schedule(engine, min_runs=3, min_time=0) == []

    database.write(engine, lambda conn: deployments.resume(conn, deployment_id))
    assert len(_schedule(engine, min_runs=3, min_time=0, catch_up="all")) == 3


def test_an_inactive_schedule_makes_no_runs_and_a_changed_one_makes_new_ones(engine):
    deployment_id = _deploy(engine, _every_minute())
    (schedule,) = database.read(
        engine, lambda conn: deployments.read_schedules(conn, deployment_id)
    )

    database.write(
        engine,
        lambda conn: deployments.update_schedule(
            conn, deployment_id, schedule["id"], {"active": False}
        ),
    )
    assert _schedule(engine) == []

    daily = CronSchedule(cron="0 9 * * *", timezone="Europe/Paris").model_dump(mode="json")
    database.write(
        engine,
        lambda conn: deployments.update_schedule(
            conn, deployment_id, schedule["id"], {"active": True, "schedule": daily}
        ),
    )
    _schedule(engine, min_runs=2, min_time=0)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    times = [r["expected_start_time"].astimezone(paris) for r in _runs(engine, deployment_id)]
    assert len(times) == 2 and {t.strftime("%H:%M") for t in times} == {"09:00"}


def test_a_deployment_run_and_scheduled_runs_live_side_by_side(engine):
    deployment_id = _deploy(engine, _every_minute())
    _schedule(engine, min_runs=2, min_time=0)
    manual = database.write(
        engine,
        lambda conn: deployments.create_flow_run(conn, deployment_id, {}),
    )
    runs = _runs(engine, deployment_id)
    assert len(runs) == 3
    assert [r["auto_scheduled"] for r in runs if r["id"] == manual["id"]] == [False]
