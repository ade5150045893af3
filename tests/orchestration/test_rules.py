import datetime as dt

import pytest

from praefect import exceptions
from praefect.orchestration import rules
from praefect.schemas.responses import SetStateStatus
from praefect.schemas.states import State, StateType, now_utc

ACCEPT, REJECT, ABORT, WAIT = (
    SetStateStatus.ACCEPT,
    SetStateStatus.REJECT,
    SetStateStatus.ABORT,
    SetStateStatus.WAIT,
)


def scheduled(at: dt.datetime | None = None, name: str = "Scheduled") -> State:
    return State(StateType.SCHEDULED, name=name, state_details={"scheduled_time": at or now_utc()})


def test_pending_run_cannot_become_pending_again(new_run, propose):
    run = new_run(scheduled())
    assert propose(run, State("PENDING")).status is ACCEPT
    result = propose(run, State("PENDING"))
    assert result.status is ABORT
    assert result.state.type is StateType.PENDING


@pytest.mark.parametrize("current", ["RUNNING", "CANCELLING", "CANCELLED"])
def test_pending_is_aborted_from_running_cancelling_and_cancelled(new_run, propose, current):
    run = new_run(State(current))
    assert propose(run, State("PENDING")).status is ABORT


def test_pending_may_be_renamed_while_pending(new_run, propose):
    run = new_run(State("PENDING"))
    assert propose(run, State("PENDING", name="Submitting")).status is ACCEPT


def test_terminal_run_cannot_leave_its_state_unless_forced(new_run, propose, read_run):
    run = new_run(State("RUNNING"))
    assert propose(run, State("COMPLETED")).status is ACCEPT
    assert propose(run, State("CANCELLING")).status is ABORT
    assert propose(run, State("RUNNING")).status is ABORT
    assert read_run(run)["state_type"] == "COMPLETED"
    assert propose(run, State("CANCELLING"), force=True).status is ACCEPT
    assert read_run(run)["state_type"] == "CANCELLING"


def test_terminal_run_of_a_deployment_may_be_rescheduled(new_run, propose):
    import uuid

    run = new_run(State("FAILED"), deployment_id=uuid.uuid4())
    assert propose(run, scheduled()).status is ACCEPT


def test_only_scheduled_runs_that_are_not_late_can_be_marked_late(new_run, propose):
    run = new_run(scheduled())
    assert propose(run, scheduled(name="Late")).status is ACCEPT
    assert propose(run, scheduled(name="Late")).status is REJECT
    running = new_run(State("RUNNING"))
    result = propose(running, scheduled(name="Late"))
    assert result.status is REJECT
    assert result.state.type is StateType.RUNNING


def test_running_before_the_scheduled_time_waits(new_run, propose):
    now = now_utc()
    run = new_run(scheduled(now + dt.timedelta(seconds=30)))
    result = propose(run, State("RUNNING"), now=now)
    assert result.status is WAIT
    assert result.details.delay_seconds == pytest.approx(30, abs=0.01)
    assert propose(run, State("RUNNING"), now=now + dt.timedelta(seconds=31)).status is ACCEPT


def test_pending_keeps_the_scheduled_time_so_running_still_waits(new_run, propose):
    now = now_utc()
    run = new_run(scheduled(now + dt.timedelta(seconds=10)))
    assert propose(run, State("PENDING"), now=now).status is ACCEPT
    assert propose(run, State("RUNNING"), now=now).status is WAIT


def test_failed_run_with_retries_left_is_rescheduled_awaiting_retry(new_run, propose, read_run):
    run = new_run(State("PENDING"), empirical_policy={"retries": 1, "retry_delay": [5.0]})
    assert propose(run, State("RUNNING")).status is ACCEPT
    now = now_utc()
    result = propose(run, State("FAILED", message="boom"), now=now)
    assert result.status is REJECT
    assert (result.state.type, result.state.name) == (StateType.SCHEDULED, "AwaitingRetry")
    assert result.state.message == "boom"
    assert rules.scheduled_time_of(result.state) == now + dt.timedelta(seconds=5)
    assert read_run(run)["state_name"] == "AwaitingRetry"
    later = now + dt.timedelta(seconds=6)
    assert propose(run, State("RUNNING", name="Retrying"), now=later).status is ACCEPT
    assert propose(run, State("FAILED"), now=later).status is ACCEPT
    assert read_run(run)["run_count"] == 2


def test_retry_delay_list_is_indexed_by_attempt_and_its_last_element_repeats():
    assert rules.retry_delay_seconds([1, 2, 4], 1) == 1
    assert rules.retry_delay_seconds([1, 2, 4], 3) == 4
    assert rules.retry_delay_seconds([1, 2, 4], 9) == 4
    assert rules.retry_delay_seconds(7, 3) == 7
    assert rules.retry_delay_seconds(None, 1) == 0


def test_retry_jitter_spreads_the_delay_within_the_factor():
    delays = {rules.retry_delay_seconds([10], 1, jitter_factor=0.5) for _ in range(50)}
    assert all(5 <= d <= 15 for d in delays)
    assert len(delays) > 1


def test_retriable_false_skips_the_retry(new_run, propose):
    run = new_run(State("RUNNING"), empirical_policy={"retries": 3})
    failed = State("FAILED", state_details={"retriable": False})
    assert propose(run, failed).status is ACCEPT


@pytest.mark.parametrize("current", ["SCHEDULED", "PENDING", "PAUSED"])
def test_cancelling_a_run_without_infrastructure_cancels_it(new_run, propose, current):
    run = new_run(State(current))
    result = propose(run, State("CANCELLING", message="stop"))
    assert result.status is REJECT
    assert result.state.type is StateType.CANCELLED
    assert result.state.message == "stop"


def test_cancelling_a_run_with_infrastructure_is_accepted(new_run, propose):
    run = new_run(State("PENDING"), infrastructure_pid="host:123")
    assert propose(run, State("CANCELLING")).status is ACCEPT


def test_cancelled_run_cannot_be_submitted_again(new_run, propose):
    run = new_run(scheduled())
    propose(run, State("CANCELLING"))
    assert propose(run, State("PENDING")).status is ABORT


def test_unknown_flow_run_raises_flow_run_not_found(propose):
    import uuid

    with pytest.raises(exceptions.FlowRunNotFound):
        propose(uuid.uuid4(), State("RUNNING"))


def test_policy_order_is_pinned():
    assert [rule.__name__ for rule in rules.FLOW_POLICY] == [
        "FenceStaleAttempts",
        "PreventConcurrentAttempts",
        "HandleFlowTerminalStateTransitions",
        "BypassCancellingFlowRunsWithNoInfra",
        "PreventPendingTransitions",
        "HandlePausingFlows",
        "HandleResumingPausedFlows",
        "EnsureOnlyScheduledFlowsMarkedLate",
        "WaitForScheduledTime",
        "RetryFailedFlows",
        "RetryCrashedDeploymentRuns",
        "PreventCrashingScheduledRuns",
    ]


def _by_attempt(state: State, attempt: int) -> State:
    state.state_details["attempt"] = attempt
    return state


def test_entering_running_numbers_the_attempt_and_records_its_process(new_run, propose, read_run):
    run = new_run(State("PENDING"))
    result = propose(run, State("RUNNING", state_details={"hostname": "h1", "pid": 41}))
    assert result.state.state_details["attempt"] == 1
    stored = read_run(run)
    assert (stored["run_count"], stored["hostname"], stored["pid"]) == (1, "h1", 41)
    assert stored["heartbeat"] is not None


def test_a_stale_attempt_cannot_change_the_state_even_forced(new_run, propose, read_run):
    run = new_run(State("PENDING"))
    propose(run, State("RUNNING", state_details={"hostname": "h1", "pid": 41}))
    propose(run, _by_attempt(State("CRASHED"), 1), force=True)
    propose(run, _by_attempt(scheduled(name="AwaitingRetry"), 1), force=True)
    propose(run, _by_attempt(State("RUNNING", state_details={"hostname": "h2", "pid": 7}), 1))
    for force in (False, True):
        result = propose(run, _by_attempt(State("COMPLETED"), 1), force=force)
        assert result.status is ABORT
        assert "Attempt 1 of this flow run is stale: attempt 2 started" in result.details.reason
        assert "pid 7 on h2" in result.details.reason
    assert read_run(run)["state_type"] == "RUNNING"
    assert propose(run, _by_attempt(State("COMPLETED"), 2)).status is ACCEPT


def test_a_second_process_cannot_start_an_attempt_beside_a_running_one(new_run, propose):
    run = new_run(State("PENDING"))
    propose(run, State("RUNNING", state_details={"hostname": "h1", "pid": 41}))
    result = propose(run, State("RUNNING", state_details={"hostname": "h2", "pid": 7}))
    assert result.status is ABORT
    assert "already RUNNING in attempt 1 (pid 41 on h1)" in result.details.reason
    assert propose(run, _by_attempt(State("RUNNING"), 1)).status is ACCEPT


def test_a_scheduled_run_cannot_crash_unless_forced(new_run, propose, read_run):
    run = new_run(scheduled(name="AwaitingRetry"))
    result = propose(run, State("CRASHED"))
    assert result.status is REJECT and result.state.name == "AwaitingRetry"
    assert read_run(run)["state_name"] == "AwaitingRetry"
    assert propose(run, State("CRASHED"), force=True).status is ACCEPT
