"""A crashed run of a deployment with retries left is rescheduled (AwaitingRetry) for a worker
to run again, whether its worker reports the crash or its heartbeat goes stale."""

from __future__ import annotations

import datetime as _dt
import uuid

from praefect import database, orchestration
from praefect.schemas.states import State, StateType, now_utc


def test_a_proposed_crash_of_a_deployment_run_with_retries_left_is_rescheduled(
    new_run, propose, read_run
):
    policy = {"retries": 1, "retry_delay": [2.0]}
    run_id = new_run(State(StateType.RUNNING), deployment_id=uuid.uuid4(), empirical_policy=policy)
    result = propose(run_id, State(StateType.CRASHED, message="killed by signal 9"))
    assert result.status.value == "REJECT"
    assert (result.state.name, result.state.message) == ("AwaitingRetry", "killed by signal 9")
    scheduled = result.state.state_details["scheduled_time"]
    assert _dt.timedelta(seconds=1) < scheduled - now_utc() <= _dt.timedelta(seconds=2)
    # the second attempt crashes too: no retries left
    propose(run_id, State(StateType.PENDING))
    propose(run_id, State(StateType.RUNNING), now=scheduled + _dt.timedelta(seconds=1))
    assert propose(run_id, State(StateType.CRASHED)).status.value == "ACCEPT"
    assert read_run(run_id)["state_name"] == "Crashed"


def test_a_crash_of_a_run_without_a_deployment_is_not_retried(new_run, propose):
    run_id = new_run(State(StateType.RUNNING), empirical_policy={"retries": 3})
    assert propose(run_id, State(StateType.CRASHED)).status.value == "ACCEPT"


def test_a_deployment_run_whose_heartbeat_went_stale_is_rescheduled(engine, new_run, read_run):
    stale = now_utc() - _dt.timedelta(minutes=5)
    run_id = new_run(
        State(StateType.RUNNING),
        deployment_id=uuid.uuid4(),
        empirical_policy={"retries": 2},
        heartbeat=stale,
        hostname="elsewhere",
        pid=1,
    )
    dead = database.read(
        engine, lambda conn: orchestration.zombies.find_dead_runs(conn, "here", stale_after=20)
    )
    assert [run for run, _, _ in dead] == [run_id]
    _, state_id, reason = dead[0]
    database.write(
        engine, lambda conn: orchestration.zombies.mark_crashed(conn, run_id, state_id, reason)
    )
    run = read_run(run_id)
    assert run["state_name"] == "AwaitingRetry" and "No heartbeat" in run["state"].message


def test_a_run_that_never_started_or_was_being_cancelled_is_not_retried(
    engine, new_run, propose, read_run
):
    policy = {"retries": 5}
    never_started = new_run(
        State(StateType.PENDING), deployment_id=uuid.uuid4(), empirical_policy=policy
    )
    result = propose(never_started, State(StateType.CRASHED, message="could not start"))
    assert result.status.value == "ACCEPT"  # no endless retry of a run its worker cannot start
    cancelling = new_run(
        State(StateType.RUNNING), deployment_id=uuid.uuid4(), empirical_policy=policy
    )
    propose(cancelling, State(StateType.CANCELLING))
    state_id = read_run(cancelling)["state_id"]
    database.write(
        engine,
        lambda conn: orchestration.zombies.mark_crashed(conn, cancelling, state_id, "gone"),
    )
    assert read_run(cancelling)["state_name"] == "Crashed"
