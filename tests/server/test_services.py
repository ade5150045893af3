"""The server's background services, driven by a manual clock (``run_once``) and, for the
loops themselves, in their threads; and ``praefect server start`` running them."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from praefect import database, orchestration, settings
from praefect.database import tables
from praefect.schemas.schedules import IntervalSchedule
from praefect.schemas.states import State, StateType
from praefect.server import services
from praefect.utilities.clock import ManualClock
from tests.conftest import free_port

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def insert_deployment(
    engine: sa.Engine, every: dt.timedelta, updated: dt.datetime, **fields: Any
) -> uuid.UUID:
    """A deployment with one interval schedule anchored at T0, as orchestration.deployments
    stores it."""
    deployment_id = uuid.uuid4()

    def write(conn: sa.Connection) -> None:
        flow_id = orchestration.flows.ensure(conn, "etl")
        conn.execute(
            tables.deployment.insert().values(
                id=deployment_id,
                created=updated,
                updated=updated,
                name=f"dep-{deployment_id.hex[:6]}",
                flow_id=flow_id,
                tags=[],
                parameters={},
                job_variables={},
                **fields,
            )
        )
        schedule = IntervalSchedule(interval=every, anchor_date=T0)
        conn.execute(
            tables.deployment_schedule.insert().values(
                id=uuid.uuid4(),
                created=updated,
                updated=updated,
                deployment_id=deployment_id,
                schedule=schedule.model_dump(mode="json"),
                parameters={},
            )
        )

    database.write(engine, write)
    return deployment_id


def runs_of(engine: sa.Engine, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(tables.flow_run)
        .where(tables.flow_run.c.deployment_id == deployment_id)
        .order_by(tables.flow_run.c.expected_start_time)
    )
    return database.read(engine, lambda conn: [dict(r) for r in conn.execute(query).mappings()])


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    return database.get_engine(database_url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0 - MINUTE)


@pytest.fixture
def runner(database_url: str, clock: ManualClock) -> Iterator[services.ServiceRunner]:
    with settings.temporary_settings({"server_services_scheduler_catch_up": "none"}):
        yield services.ServiceRunner(
            services.all_services(), database_url=database_url, clock=clock
        )


def test_scheduled_runs_are_created_then_marked_late_as_the_clock_moves(engine, runner, clock):
    deployment_id = insert_deployment(engine, 10 * MINUTE, updated=T0 - dt.timedelta(days=1))

    created = runner.run_once("Scheduler")["Scheduler"]

    runs = runs_of(engine, deployment_id)
    assert len(created) == len(runs) == 6  # the next hour (from 11:59), every 10 minutes
    assert runs[0]["next_scheduled_start_time"] == T0
    assert runner.run_once("MarkLateRuns") == {"MarkLateRuns": []}

    clock.advance(MINUTE + dt.timedelta(seconds=16))  # 12:00:16: the 12:00 run is 16 s late
    assert runner.run_once("MarkLateRuns") == {"MarkLateRuns": [runs[0]["id"]]}
    assert [r["state_name"] for r in runs_of(engine, deployment_id)][:2] == ["Late", "Scheduled"]

    clock.advance(dt.timedelta(minutes=50))  # 12:50:16
    more = runner.run_once("Scheduler")["Scheduler"]
    times = [r["expected_start_time"].strftime("%H:%M") for r in runs_of(engine, deployment_id)]
    assert len(more) == 6  # the scheduler keeps the next hour covered: up to 13:50
    assert times[-1] == "13:50" and len(times) == len(set(times)) == 12


def test_recent_deployments_scheduler_only_looks_at_changed_deployments(engine, runner, clock):
    old = insert_deployment(engine, 10 * MINUTE, updated=T0 - dt.timedelta(days=1))
    assert runner.run_once("RecentDeploymentsScheduler")["RecentDeploymentsScheduler"] == []

    new = insert_deployment(engine, 10 * MINUTE, updated=clock.now())
    clock.advance(2)
    created = runner.run_once("RecentDeploymentsScheduler")["RecentDeploymentsScheduler"]

    assert runs_of(engine, old) == []
    assert len(created) == len(runs_of(engine, new)) > 0


def test_crashed_runs_service_crashes_runs_without_heartbeat(engine, runner, clock):
    def running(heartbeat: dt.datetime) -> uuid.UUID:
        run_id = uuid.uuid4()

        def write(conn: sa.Connection) -> None:
            flow_id = orchestration.flows.ensure(conn, "etl")
            orchestration.flow_runs.create(
                conn,
                {
                    "id": run_id,
                    "name": "r",
                    "flow_id": flow_id,
                    "hostname": "another-host",
                    "pid": 4242,
                    "heartbeat": heartbeat,
                    "state": State(StateType.RUNNING, timestamp=heartbeat),
                },
            )

        database.write(engine, write)
        return run_id

    silent = running(clock.now() - dt.timedelta(seconds=60))
    alive = running(clock.now() - dt.timedelta(seconds=5))

    assert runner.run_once("CrashedRuns") == {"CrashedRuns": [silent]}
    read = lambda run_id: database.read(  # noqa: E731
        engine, lambda conn: orchestration.flow_runs.read(conn, run_id)
    )
    assert read(silent)["state"].type is StateType.CRASHED
    assert "No heartbeat" in read(silent)["state"].message
    assert read(alive)["state"].type is StateType.RUNNING


def test_run_once_names_an_unknown_service(runner):
    with pytest.raises(ValueError, match="no service called 'Nope'; the services are: Scheduler"):
        runner.run_once("Nope")


class _Flaky:
    """A service whose first pass fails; it counts its passes and signals the third."""

    name = "Flaky"
    loop_seconds = 0.001

    def __init__(self) -> None:
        self.passes = 0
        self.third = threading.Event()

    def run_once(self, engine: Any, now: dt.datetime) -> int:
        self.passes += 1
        if self.passes == 1:
            raise RuntimeError("the database went away")
        if self.passes == 3:
            self.third.set()
        return self.passes


def test_a_failed_pass_is_logged_and_the_loop_goes_on(caplog):
    flaky = _Flaky()
    runner = services.ServiceRunner([flaky], database_url="sqlite:///:memory:")
    with runner:
        assert flaky.third.wait(10)
        assert runner.running
    assert not runner.running
    assert "Service Flaky failed a pass" in caplog.text
    assert "the database went away" in caplog.text


def test_stop_ends_a_loop_that_waits_between_passes():
    slow = _Flaky()
    slow.loop_seconds = 3600
    runner = services.ServiceRunner([slow], database_url="sqlite:///:memory:").start()
    runner.stop(timeout=30)  # a loop that did not wake would wait an hour: still running
    assert not runner.running
    with pytest.raises(RuntimeError, match="already running"):
        runner.start().start()
    runner.stop()


def test_services_follow_their_enabled_settings_and_flags():
    names = lambda chosen: [s.name for s in chosen]  # noqa: E731
    automations = ["ProactiveTriggers", "AutomationActions"]
    assert names(services.enabled_services()) == [
        "Scheduler",
        "RecentDeploymentsScheduler",
        "MarkLateRuns",
        "CrashedRuns",
        *automations,
        "FailExpiredPauses",
        "EventRetention",
    ]
    off = settings.get_current_settings().model_copy(
        {
            "server_services_scheduler_enabled": False,
            "server_services_late_runs_loop_seconds": 2.5,
        }
    )
    assert names(services.enabled_services(off)) == [
        "MarkLateRuns",
        "CrashedRuns",
        *automations,
        "FailExpiredPauses",
        "EventRetention",
    ]
    assert services.enabled_services(off)[0].loop_seconds == 2.5
    assert names(services.enabled_services(off, scheduler=True, late_runs=False)) == [
        "Scheduler",
        "RecentDeploymentsScheduler",
        "CrashedRuns",
        *automations,
        "FailExpiredPauses",
        "EventRetention",
    ]


def test_server_start_runs_the_scheduler(tmp_path: Path, cli_env: dict[str, str]):
    # The real `praefect server start`: a deployment written to its database gets its runs from
    # the recent-deployments pass within seconds, and SIGINT stops server and services.
    url = f"sqlite:///{tmp_path / 'server.db'}"
    port = free_port()
    env = {
        **cli_env,
        "PRAEFECT_DATABASE_URL": url,
        "PRAEFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "0.2",
        "PRAEFECT_SERVER_SERVICES_SCHEDULER_CATCH_UP": "none",
    }
    engine = database.get_engine(url)
    process = subprocess.Popen(
        [sys.executable, "-m", "praefect.cli", "server", "start", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: list[dict[str, Any]] = []
    try:
        deployment_id = insert_deployment(
            engine, dt.timedelta(hours=1), updated=dt.datetime.now(dt.UTC)
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            found = runs_of(engine, deployment_id)
            if len(found) >= 3 and _healthy(port):
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert len(found) == 3, output
    assert "services: Scheduler, RecentDeploymentsScheduler, MarkLateRuns, CrashedRuns" in output
    assert process.returncode == 0, output


def _healthy(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_server_services_ls_and_run_once(tmp_path: Path, cli_env: dict[str, str]):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    env = {
        **cli_env,
        "PRAEFECT_DATABASE_URL": url,
        "PRAEFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "0",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "praefect.cli", "server", "services", "ls"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Scheduler" in listed and "every 60s" in listed
    assert [line.split()[1] for line in listed.splitlines() if line.startswith("MarkLateRuns")] == [
        "disabled"
    ]
    deployment_id = insert_deployment(
        database.get_engine(url), dt.timedelta(hours=1), updated=dt.datetime.now(dt.UTC)
    )
    once = subprocess.run(
        [sys.executable, "-m", "praefect.cli", "server", "services", "start", "--run-once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Scheduler: 3" in once
    assert len(runs_of(database.get_engine(url), deployment_id)) == 3


@pytest.mark.parametrize(
    "module",
    [
        "praefect.server.services",
        "praefect.server.services.base",
        "praefect.server.services.selection",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_the_pause_expiry_service_fails_runs_paused_past_their_timeout(tmp_path: Path):
    from praefect.schemas.states import now_utc
    from praefect.states import Paused

    url = f"sqlite:///{tmp_path / 'pauses.db'}"
    engine = database.get_engine(url)

    def paused_run(conn):
        run_id = uuid.uuid4()
        flow_id = orchestration.flows.ensure(conn, "waits")
        orchestration.flow_runs.create(conn, {"id": run_id, "name": "w", "flow_id": flow_id})
        orchestration.flow_runs.set_state(conn, run_id, State("RUNNING"))
        orchestration.flow_runs.set_state(conn, run_id, Paused(timeout_seconds=30, pause_key="1"))
        return run_id

    run_id = database.write(engine, paused_run)
    runner = services.ServiceRunner([services.FailExpiredPauses()], database_url=url)
    assert runner.run_once()["FailExpiredPauses"] == []
    runner.clock = ManualClock(now_utc() + dt.timedelta(seconds=31))
    assert runner.run_once()["FailExpiredPauses"] == [run_id]
    state = database.read(engine, lambda conn: orchestration.flow_runs.read(conn, run_id))["state"]
    assert state.is_failed() and "paused and never resumed" in state.message


def test_the_event_retention_service_deletes_events_older_than_the_period(engine, clock):
    """Events that occurred before now minus PRAEFECT_EVENTS_RETENTION_PERIOD go, in batches;
    newer ones stay."""
    from praefect.orchestration import events
    from praefect.server.services import event_retention

    def row(name: str, age: dt.timedelta) -> dict:
        at = T0 - age
        resource = {"prefect.resource.id": f"acme.{name}"}
        return {
            "id": uuid.uuid4(),
            "occurred": at,
            "event": f"acme.{name}",
            "resource_id": resource["prefect.resource.id"],
            "resource": resource,
            "related": [],
            "payload": {},
            "received": at,
            "follows": None,
        }

    old = [row("old", dt.timedelta(days=8, minutes=i)) for i in range(5)]
    database.write(engine, lambda c: events.ingest(c, [*old, row("new", dt.timedelta(days=6))]))
    with settings.temporary_settings({"events_retention_period": 7 * 86400.0}):
        service = services.EventRetention()
    assert service.retention_seconds == 7 * 86400.0
    original = event_retention._BATCH
    event_retention._BATCH = 2  # three passes: 2, 2, 1
    try:
        assert service.run_once(engine, T0) == 5
    finally:
        event_retention._BATCH = original
    left = database.read(engine, lambda c: events.query(c, None, limit=None))
    assert [e["event"] for e in left] == ["acme.new"]
