"""The scheduler and the late-runs check of the service layer (``orchestration.scheduling``),
driven by explicit times (no sleeping), on SQLite and PostgreSQL.

Deployments and their schedules are inserted as rows here, as ``orchestration.deployments``
stores them, because these tests choose their ``created``/``updated`` times (the catch-up
policy depends on them); test_scheduling_deployments.py goes through that service instead."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from praefect import database, orchestration
from praefect.database import tables
from praefect.orchestration import scheduling
from praefect.schemas.schedules import CronSchedule, IntervalSchedule
from praefect.schemas.states import State, StateType

UTC = dt.UTC
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def deployment(engine) -> Callable[..., tuple[uuid.UUID, list[uuid.UUID]]]:
    """Insert a deployment with schedules (given as wire models or ``(model, row fields)``);
    return its id and its schedules' ids. Rows are stamped ``created``/``updated`` at T0 - 1 day
    unless given."""

    def make(*schedules: Any, created: dt.datetime = T0 - dt.timedelta(days=1), **fields: Any):
        deployment_id = uuid.uuid4()
        schedule_ids = []

        def write(conn: sa.Connection) -> None:
            flow_id = orchestration.flows.ensure(conn, fields.pop("flow_name", "etl"))
            conn.execute(
                tables.deployment.insert().values(
                    id=deployment_id,
                    created=created,
                    updated=created,
                    name=fields.pop("name", f"dep-{deployment_id.hex[:6]}"),
                    flow_id=flow_id,
                    tags=fields.pop("tags", []),
                    parameters=fields.pop("parameters", {}),
                    job_variables={},
                    **fields,
                )
            )
            for item in schedules:
                model, extra = item if isinstance(item, tuple) else (item, {})
                schedule_id = uuid.uuid4()
                schedule_ids.append(schedule_id)
                conn.execute(
                    tables.deployment_schedule.insert().values(
                        id=schedule_id,
                        created=extra.pop("created", created),
                        updated=extra.pop("updated", created),
                        deployment_id=deployment_id,
                        schedule=model.model_dump(mode="json"),
                        parameters=extra.pop("parameters", {}),
                        **extra,
                    )
                )

        database.write(engine, write)
        return deployment_id, schedule_ids

    return make


@pytest.fixture
def schedule(engine) -> Callable[..., list[uuid.UUID]]:
    def run(**kwargs: Any) -> list[uuid.UUID]:
        kwargs.setdefault("now", T0)
        kwargs.setdefault("catch_up", "none")
        return database.write(engine, lambda conn: scheduling.schedule_runs(conn, **kwargs))

    return run


@pytest.fixture
def runs_of(engine) -> Callable[[uuid.UUID], list[dict[str, Any]]]:
    def read(deployment_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = database.read(
            engine,
            lambda conn: (
                conn.execute(
                    sa.select(tables.flow_run).where(
                        tables.flow_run.c.deployment_id == deployment_id
                    )
                )
                .mappings()
                .all()
            ),
        )
        return sorted((dict(r) for r in rows), key=lambda r: r["expected_start_time"])

    return read


def _every(minutes: int, anchor: dt.datetime = T0) -> IntervalSchedule:
    return IntervalSchedule(interval=dt.timedelta(minutes=minutes), anchor_date=anchor)


def test_schedule_runs_creates_the_next_runs_with_the_deployment_settings(
    deployment, schedule, runs_of, read_run
):
    deployment_id, (schedule_id,) = deployment(
        (_every(60), {"parameters": {"n": 2}}),
        parameters={"n": 1, "label": "x"},
        tags=["reports"],
        version="v7",
        work_queue_name="default",
        entrypoint="flows.py:etl",
    )

    created = schedule(min_runs=3, min_time=0)

    runs = runs_of(deployment_id)
    assert sorted(created) == sorted(r["id"] for r in runs)
    assert [r["next_scheduled_start_time"] for r in runs] == [T0, T0 + HOUR, T0 + 2 * HOUR]
    first = read_run(runs[0]["id"])
    assert first["state"].type is StateType.SCHEDULED and first["state"].name == "Scheduled"
    assert first["state"].state_details["scheduled_time"] == T0
    assert first["expected_start_time"] == T0
    assert first["auto_scheduled"] is True
    assert first["parameters"] == {"n": 2, "label": "x"}  # the schedule's over the deployment's
    assert first["tags"] == ["auto-scheduled", "reports"]
    assert first["deployment_version"] == "v7"
    assert first["work_queue_name"] == "default"
    assert first["entrypoint"] == "flows.py:etl"
    assert first["idempotency_key"] == f"scheduled {deployment_id} {schedule_id} {T0.isoformat()}"


def test_scheduling_twice_creates_nothing_more(deployment, schedule, runs_of):
    deployment_id, _ = deployment(_every(15))
    first = schedule()
    assert schedule() == []
    assert len(runs_of(deployment_id)) == len(first)


def test_runs_cover_min_time_but_stay_within_max_runs_and_end_time(deployment, schedule, runs_of):
    dense, _ = deployment(_every(10))
    capped, _ = deployment((_every(10), {"max_scheduled_runs": 2}))
    sparse, _ = deployment(_every(60 * 24 * 30))  # monthly: only min_runs within the horizon

    schedule(min_runs=3, min_time=HOUR, max_runs=100, end_time=T0 + dt.timedelta(days=65))

    assert len(runs_of(dense)) == 7  # 12:00 .. 13:00 every 10 minutes
    assert len(runs_of(capped)) == 2
    assert len(runs_of(sparse)) == 3  # T0, +30 d, +60 d (min_runs, within end_time)
    schedule(min_runs=3, min_time=HOUR, max_runs=3)
    assert len(runs_of(dense)) == 7


def test_moving_the_clock_keeps_the_next_runs_scheduled(deployment, schedule, runs_of):
    deployment_id, _ = deployment(_every(60))
    schedule(now=T0, min_runs=3, min_time=0)
    schedule(now=T0 + 2 * HOUR + dt.timedelta(minutes=1), min_runs=3, min_time=0)
    times = [r["next_scheduled_start_time"] for r in runs_of(deployment_id)]
    assert times == [T0 + k * HOUR for k in range(6)]


def test_paused_deployments_and_inactive_schedules_get_no_runs(deployment, schedule, runs_of):
    paused, _ = deployment(_every(60), paused=True)
    inactive, _ = deployment((_every(60), {"active": False}))
    assert schedule() == []
    assert runs_of(paused) == [] and runs_of(inactive) == []


def test_schedule_runs_for_one_deployment_only(deployment, schedule, runs_of):
    one, _ = deployment(_every(60))
    other, _ = deployment(_every(60))
    schedule(deployment_id=one)
    assert runs_of(one) and runs_of(other) == []


def test_each_schedule_of_a_deployment_gets_its_own_runs(deployment, schedule, runs_of):
    deployment_id, _ = deployment(
        _every(60), CronSchedule(cron="30 * * * *"), (_every(60), {"parameters": {"n": 5}})
    )
    schedule(min_runs=2, min_time=0)
    runs = runs_of(deployment_id)
    assert len(runs) == 6  # the two identical interval schedules do not collide
    assert len({r["idempotency_key"] for r in runs}) == 6
    assert Counter(r["parameters"].get("n") for r in runs) == {None: 4, 5: 2}


def test_updated_since_schedules_only_recently_changed_deployments(deployment, schedule, runs_of):
    old, _ = deployment(_every(60), created=T0 - dt.timedelta(days=3))
    new, _ = deployment(_every(60), created=T0 - dt.timedelta(seconds=2))
    schedule(updated_since=T0 - dt.timedelta(seconds=5))
    assert runs_of(old) == [] and runs_of(new)


MINUTE = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("policy", "missed"),
    [
        ("none", []),
        ("latest", [T0]),
        ("all", [T0 - 50 * MINUTE + k * 10 * MINUTE for k in range(6)]),  # 11:10 .. 12:00
    ],
)
def test_catch_up_policy_after_downtime(deployment, schedule, runs_of, policy, missed):
    # Runs every 10 minutes; the scheduler last ran at 11:00 (creating the 11:00 run) and comes
    # back at 12:05: 11:10 .. 12:00 were missed (all within the one-hour catch-up window).
    deployment_id, _ = deployment(_every(10))
    schedule(now=T0 - HOUR, min_runs=1, min_time=0, catch_up="none")

    schedule(now=T0 + 5 * MINUTE, min_runs=1, min_time=0, catch_up=policy)

    times = [r["next_scheduled_start_time"] for r in runs_of(deployment_id)]
    assert times == [T0 - HOUR, *missed, T0 + 10 * MINUTE]  # and the future as usual


def test_catch_up_ignores_times_before_the_schedule_existed(deployment, schedule, runs_of):
    deployment_id, _ = deployment(_every(10), created=T0 - dt.timedelta(minutes=25))
    schedule(now=T0, min_runs=1, min_time=0, catch_up="all")
    times = [r["next_scheduled_start_time"] for r in runs_of(deployment_id)]
    assert times == [T0 - dt.timedelta(minutes=20), T0 - dt.timedelta(minutes=10), T0]


def test_catch_up_window_bounds_how_far_back_runs_are_created(deployment, schedule, runs_of):
    deployment_id, _ = deployment(_every(10))
    schedule(
        now=T0 + dt.timedelta(seconds=1),
        min_runs=0,
        catch_up="all",
        catch_up_window=dt.timedelta(minutes=30),
        min_time=0,
    )
    times = [r["next_scheduled_start_time"] for r in runs_of(deployment_id)]
    assert times == [T0 - dt.timedelta(minutes=20), T0 - dt.timedelta(minutes=10), T0]


def test_bad_scheduler_arguments_are_refused_naming_them(schedule):
    with pytest.raises(ValueError, match="unknown catch-up policy 'sometimes'"):
        schedule(catch_up="sometimes")
    with pytest.raises(ValueError, match="min_runs must be 0 or more, got -1"):
        schedule(min_runs=-1)


def test_catch_up_policy_comes_from_settings(deployment, schedule, runs_of):
    from praefect import settings

    deployment_id, _ = deployment(_every(10))
    with settings.temporary_settings({"server_services_scheduler_catch_up": "all"}):
        schedule(now=T0 + dt.timedelta(seconds=1), min_runs=0, min_time=0, catch_up=None)
    assert len(runs_of(deployment_id)) == 6  # the last hour (the default window)


# -- late runs ------------------------------------------------------------------------------


def _scheduled(at: dt.datetime, name: str = "Scheduled") -> State:
    return State(
        StateType.SCHEDULED, name=name, state_details={"scheduled_time": at}, timestamp=at - HOUR
    )


def test_mark_late_runs_marks_overdue_scheduled_runs_only(engine, new_run, read_run):
    overdue = new_run(_scheduled(T0 - dt.timedelta(seconds=20)))
    recent = new_run(_scheduled(T0 - dt.timedelta(seconds=10)))
    future = new_run(_scheduled(T0 + HOUR))
    retrying = new_run(_scheduled(T0 - HOUR, name="AwaitingRetry"))
    pending = new_run(State(StateType.PENDING))

    marked = database.write(
        engine, lambda conn: scheduling.mark_late_runs(conn, now=T0, after_seconds=15)
    )

    assert marked == [overdue]
    late = read_run(overdue)["state"]
    assert (late.type, late.name) == (StateType.SCHEDULED, "Late")
    assert late.state_details["scheduled_time"] == T0 - dt.timedelta(seconds=20)
    assert read_run(overdue)["next_scheduled_start_time"] == T0 - dt.timedelta(seconds=20)
    for other in (recent, future, retrying, pending):
        assert read_run(other)["state"].name != "Late"
    again = database.write(
        engine, lambda conn: scheduling.mark_late_runs(conn, now=T0, after_seconds=15)
    )
    assert again == []


def test_a_run_later_than_the_max_lateness_is_cancelled_saying_why(engine, new_run, read_run):
    from praefect.server.services import MarkLateRuns

    stale = new_run(_scheduled(T0 - dt.timedelta(minutes=20)))
    late = new_run(_scheduled(T0 - dt.timedelta(minutes=5)))
    retrying = new_run(_scheduled(T0 - HOUR, name="AwaitingRetry"))
    service = MarkLateRuns(after_seconds=15, max_lateness_seconds=600)
    assert sorted(service.run_once(engine, T0)) == sorted([stale, late])  # both marked Late
    cancelled = read_run(stale)["state"]
    assert cancelled.type is StateType.CANCELLED
    assert cancelled.message == (
        "Cancelled: 1200 s past its scheduled time, more than the maximum lateness of 600 s. "
        "It belongs to no deployment: only running its flow starts it."
    )
    assert read_run(late)["state"].name == "Late"
    assert read_run(retrying)["state"].name == "AwaitingRetry"  # a retry waits its turn
    assert MarkLateRuns(after_seconds=15).run_once(engine, T0 + HOUR) == []  # unset: no cancel
    assert read_run(late)["state"].name == "Late"


def test_mark_late_runs_uses_the_settings_threshold(engine, new_run):
    from praefect import settings

    run = new_run(_scheduled(T0 - dt.timedelta(seconds=20)))
    with settings.temporary_settings({"server_services_late_runs_after_seconds": 30}):
        assert database.write(engine, lambda conn: scheduling.mark_late_runs(conn, now=T0)) == []
    assert database.write(engine, lambda conn: scheduling.mark_late_runs(conn, now=T0)) == [run]


def test_a_late_run_can_still_be_started(engine, new_run, propose, read_run):
    run = new_run(_scheduled(T0 - HOUR))
    database.write(engine, lambda conn: scheduling.mark_late_runs(conn, now=T0, after_seconds=15))
    assert propose(run, State(StateType.PENDING), now=T0).status.value == "ACCEPT"
    assert propose(run, State(StateType.RUNNING), now=T0).status.value == "ACCEPT"
    assert read_run(run)["state"].type is StateType.RUNNING


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(scheduling)
    assert result.failed == 0 and result.attempted > 0
