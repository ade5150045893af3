"""``frozen_time()``: a fake clock that drives retries with delays, schedules and late runs in
milliseconds."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

import praefect
from praefect import flow, task
from praefect.schedules import Interval
from praefect.schemas.states import State, StateType
from praefect.testing.utilities import frozen_time, prefect_test_harness

T0 = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def harness():
    with prefect_test_harness():
        yield


def test_a_task_retrying_with_a_minute_between_tries_finishes_at_once(harness):
    calls: list[dt.datetime] = []

    @task(retries=3, retry_delay_seconds=60)
    def flaky() -> str:
        calls.append(praefect.utilities.clock.now())
        if len(calls) < 4:
            raise RuntimeError("not yet")
        return "done"

    @flow
    def job() -> str:
        return flaky()

    started = time.perf_counter()
    with frozen_time(T0) as clock:
        assert job() == "done"
        assert clock.now() == T0 + dt.timedelta(minutes=3)
    assert time.perf_counter() - started < 60  # three minutes of delays, no real wait
    assert [(c - T0).total_seconds() for c in calls] == [0, 60, 120, 180]
    with praefect.get_client(sync_client=True) as client:
        (task_run,) = client.read_task_runs()
        waits = [s for s in client.read_task_run_states(task_run.id) if s.name == "AwaitingRetry"]
    assert [s.state_details.scheduled_time for s in waits] == [
        T0 + dt.timedelta(seconds=60 * k) for k in (1, 2, 3)
    ]


def test_async_tasks_and_flow_retries_wait_on_the_frozen_clock(harness):
    tries: list[int] = []

    @task(retries=1, retry_delay_seconds=30)
    async def step() -> int:
        tries.append(1)
        if len(tries) == 1:
            raise RuntimeError("first try")
        return len(tries)

    @flow(retries=1, retry_delay_seconds=600)
    async def job() -> int:
        n = await step()
        if len(tries) == 2:
            raise RuntimeError("first flow attempt")
        return n

    with frozen_time(T0) as clock:
        assert asyncio.run(job()) == 3
        assert clock.now() == T0 + dt.timedelta(seconds=30 + 600)


def test_a_schedule_produces_runs_as_the_clock_advances(harness):
    @flow
    def hourly() -> None:
        pass

    with frozen_time(T0) as clock, praefect.get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("hourly")
        deployment_id = client.create_deployment(
            flow_id, name="every-hour", schedules=[Interval(3600, anchor_date=T0)]
        )
        clock.advance(0)
        first = {r.expected_start_time for r in client.read_flow_runs()}
        assert min(first) == T0
        clock.advance(dt.timedelta(days=1))
        runs = client.read_flow_runs(limit=1000)
    times = {r.expected_start_time for r in runs}
    assert T0 + dt.timedelta(days=1) in times  # scheduled at the clock's new "now"
    assert all(r.deployment_id == deployment_id for r in runs)
    assert len(times) == len(runs)  # one run per scheduled time, never two


def test_a_run_is_marked_late_when_the_clock_passes_its_threshold(harness):
    @flow
    def nightly() -> None:
        pass

    with frozen_time(T0) as clock, praefect.get_client(sync_client=True) as client:
        deployment_id = client.create_deployment(
            client.create_flow_from_name("nightly"), name="nightly"
        )
        due = T0 + dt.timedelta(minutes=5)
        run = client.create_flow_run_from_deployment(
            deployment_id,
            state=State(StateType.SCHEDULED, state_details={"scheduled_time": due}),
        )
        after = praefect.settings.get_current_settings().server_services_late_runs_after_seconds
        clock.advance(dt.timedelta(minutes=5, seconds=after - 1))
        assert client.read_flow_run(run.id).state.name == "Scheduled"
        clock.advance(2)
        late = client.read_flow_run(run.id).state
    assert late.name == "Late"
    assert late.timestamp == T0 + dt.timedelta(minutes=5, seconds=after + 1)


def test_frozen_time_leaves_the_real_clock_behind_it():
    with frozen_time(T0, run_services=False) as clock:
        assert praefect.utilities.clock.now() == T0 == State("PENDING").timestamp
        clock.advance(1)
        assert clock.now() == T0 + dt.timedelta(seconds=1)
    real = praefect.utilities.clock.now()
    assert abs(real - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_a_suspended_run_is_failed_when_the_clock_passes_its_timeout(harness):
    from praefect.states import Suspended

    with frozen_time(T0) as clock, praefect.get_client(sync_client=True) as client:
        deployment_id = client.create_deployment(
            client.create_flow_from_name("approvals"), name="manual"
        )
        run = client.create_flow_run_from_deployment(deployment_id, state=State(StateType.RUNNING))
        client.set_flow_run_state(run.id, Suspended(timeout_seconds=3600, pause_key="1"))
        clock.advance(3599)
        assert client.read_flow_run(run.id).state.name == "Suspended"
        clock.advance(2)
        failed = client.read_flow_run(run.id).state
    assert failed.is_failed()
    assert failed.message.startswith("The flow run was suspended and never resumed")
