"""Flow-run state rules: small classes, each naming the transitions it governs.

A rule looks at a proposed transition (the run row, its current state, the proposed state) and
may answer REJECT (with a replacement state or none), ABORT or WAIT; the first rule that does not
accept ends the walk. Their order lives in ``FLOW_POLICY`` (``MINIMAL_FLOW_POLICY`` when forced).

>>> from praefect.schemas.states import State
>>> ctx = TransitionContext({"empirical_policy": {}}, State("PENDING"), State("PENDING"))
>>> apply_policy(FLOW_POLICY, ctx).status.value
'ABORT'
"""

from __future__ import annotations

import datetime as _dt
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from praefect.schemas.responses import SetStateStatus
from praefect.schemas.states import TERMINAL_STATES, State, StateType, now_utc

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping

    Run = RowMapping | Mapping[str, Any]
    """A run's row: as read from the database, or a dict."""

__all__ = [
    "FLOW_POLICY",
    "MINIMAL_FLOW_POLICY",
    "BypassCancellingFlowRunsWithNoInfra",
    "EnsureOnlyScheduledFlowsMarkedLate",
    "FenceStaleAttempts",
    "HandleFlowTerminalStateTransitions",
    "HandlePausingFlows",
    "HandleResumingPausedFlows",
    "PreventConcurrentAttempts",
    "PreventCrashingScheduledRuns",
    "PreventPendingTransitions",
    "RetryCrashedDeploymentRuns",
    "RetryFailedFlows",
    "Rule",
    "TransitionContext",
    "WaitForScheduledTime",
    "apply_policy",
    "crash_retry_state",
    "expired_pause_message",
    "pause_expiration_of",
    "retry_delay_seconds",
    "scheduled_time_of",
]

S = StateType
_ALL = frozenset(StateType)


class TransitionContext:
    """A proposed transition and, once rules ran, the answer to it."""

    __slots__ = (
        "run",
        "initial",
        "proposed",
        "now",
        "status",
        "state",
        "reason",
        "delay",
        "run_changes",
    )

    def __init__(
        self,
        run: Run,
        initial: State | None,
        proposed: State,
        now: _dt.datetime | None = None,
    ) -> None:
        self.run = run
        self.initial = initial
        self.proposed = proposed
        self.now = now or now_utc()
        self.status = SetStateStatus.ACCEPT
        self.state: State | None = proposed
        """The state to write (None: write nothing)."""
        self.reason: str | None = None
        self.delay: float | None = None
        self.run_changes: dict[str, Any] = {}
        """Fields of the run written with the state (only when a state is written)."""

    def reject(self, reason: str, state: State | None = None) -> None:
        """Refuse the proposal; write ``state`` instead, or nothing when it is None."""
        self.status, self.state, self.reason = SetStateStatus.REJECT, state, reason

    def abort(self, reason: str) -> None:
        self.status, self.state, self.reason = SetStateStatus.ABORT, None, reason

    def wait(self, delay_seconds: float, reason: str) -> None:
        self.status, self.state, self.reason = SetStateStatus.WAIT, None, reason
        self.delay = delay_seconds

    @property
    def initial_type(self) -> StateType | None:
        return self.initial.type if self.initial is not None else None


class Rule:
    """One orchestration rule, applied when the transition goes from one of ``FROM_STATES``
    (``None`` = no current state) to one of ``TO_STATES``."""

    FROM_STATES: ClassVar[frozenset[StateType | None]] = frozenset()
    TO_STATES: ClassVar[frozenset[StateType]] = frozenset()

    @classmethod
    def governs(cls, ctx: TransitionContext) -> bool:
        return ctx.initial_type in cls.FROM_STATES and ctx.proposed.type in cls.TO_STATES

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        raise NotImplementedError


def _process_of(run: Run) -> str:
    pid, host = run.get("pid"), run.get("hostname")
    return f" (pid {pid} on {host})" if pid is not None else ""


class FenceStaleAttempts(Rule):
    """A proposal made by one attempt of a run (its ``attempt`` detail: the run count when that
    attempt started) is aborted once a newer attempt has started, forced or not: a process that
    was given up on (declared crashed while alive, then retried elsewhere) cannot overwrite the
    state of the attempt that replaced it, and learns that it must stop."""

    FROM_STATES = _ALL | {None}
    TO_STATES = _ALL

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        attempt = ctx.proposed.state_details.get("attempt")
        current = ctx.run.get("run_count") or 0
        if attempt is None or attempt == current:
            return
        ctx.abort(
            f"Attempt {attempt} of this flow run is stale: attempt {current} started since"
            f"{_process_of(ctx.run)}, so this attempt's {ctx.proposed.type.value} is refused "
            "and it must stop."
        )


class PreventConcurrentAttempts(Rule):
    """A run that is running (or being cancelled) cannot start a second attempt beside it:
    another process proposing Running is aborted (the attempt itself may propose Running
    again)."""

    FROM_STATES = frozenset({S.RUNNING, S.CANCELLING})
    TO_STATES = frozenset({S.RUNNING})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        current = ctx.run.get("run_count") or 0
        if ctx.proposed.state_details.get("attempt") == current:
            return
        ctx.abort(
            f"This run is already {ctx.initial_type} in attempt {current}"
            f"{_process_of(ctx.run)}; a second attempt cannot start beside it."
        )


class HandleFlowTerminalStateTransitions(Rule):
    """A finished run stays finished: leaving a terminal state is aborted (a run of a deployment
    may be rescheduled, which is how it is re-run)."""

    FROM_STATES = frozenset(TERMINAL_STATES)
    TO_STATES = _ALL

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        if ctx.proposed.type is S.SCHEDULED and ctx.run.get("deployment_id") is not None:
            return
        ctx.abort(f"This run is already in terminal state {ctx.initial_type}.")


class BypassCancellingFlowRunsWithNoInfra(Rule):
    """Cancelling a run that has no process to stop cancels it at once."""

    FROM_STATES = frozenset({S.SCHEDULED, S.PENDING, S.PAUSED})
    TO_STATES = frozenset({S.CANCELLING})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        if ctx.run.get("infrastructure_pid"):
            return
        proposed = ctx.proposed
        cancelled = State(
            S.CANCELLED,
            message=proposed.message,
            state_details=dict(proposed.state_details),
            timestamp=proposed.timestamp,
        )
        ctx.reject("The run has no infrastructure to stop; it was cancelled directly.", cancelled)


class PreventPendingTransitions(Rule):
    """A run already submitted cannot be submitted again (two workers racing for one run)."""

    FROM_STATES = frozenset({S.PENDING, S.RUNNING, S.CANCELLING, S.CANCELLED})
    TO_STATES = frozenset({S.PENDING})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        initial = ctx.initial
        assert initial is not None  # FROM_STATES holds no None
        if initial.type is S.PENDING and initial.name != ctx.proposed.name:
            return
        ctx.abort(f"This run is in a {initial.type.value} state and cannot become PENDING.")


def _pause_verb(state: State) -> str:
    return "suspend" if state.name == "Suspended" else "pause"


def _paused_word(state: State) -> str:
    return "suspended" if state.name == "Suspended" else "paused"


class HandlePausingFlows(Rule):
    """Only a running run can be paused; each pause (its ``pause_key``) fires once: a run
    re-run after a suspension reaches the same ``suspend_flow_run`` again, and that proposal is
    refused (the run stays Running and goes on). A suspension needs a deployment (a worker
    re-runs the flow when it is resumed) and cannot be that of a subflow."""

    FROM_STATES = _ALL | {None}
    TO_STATES = frozenset({S.PAUSED})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        proposed = ctx.proposed
        verb = _pause_verb(proposed)
        if ctx.initial_type is not S.RUNNING:
            current = ctx.initial.name if ctx.initial is not None else "no state"
            ctx.reject(f"Cannot {verb} a flow run that is not running (it is {current}).")
            return
        key = proposed.state_details.get("pause_key")
        if key is None:
            key = proposed.state_details["pause_key"] = str(uuid.uuid4())
        policy = dict(ctx.run.get("empirical_policy") or {})
        fired = list(policy.get("pause_keys") or ())
        if key in fired:
            ctx.reject(f"This {verb} (key {key!r}) has already fired.")
            return
        if proposed.state_details.get("pause_reschedule"):
            if ctx.run.get("parent_task_run_id") is not None:
                ctx.abort(f"Cannot {verb} subflows.")
                return
            if ctx.run.get("deployment_id") is None:
                ctx.abort(
                    f"Cannot {verb} a flow run without a deployment: no worker could run it "
                    "again when it is resumed (use pause_flow_run to wait in this process)."
                )
                return
        ctx.run_changes["empirical_policy"] = {**policy, "pause_keys": [*fired, key]}


class HandleResumingPausedFlows(Rule):
    """A paused run resumes (Running, or Scheduled for a suspended one, which a worker then
    runs again) only before its pause times out: past ``pause_timeout`` the resumption is
    refused and the run Failed instead. A suspended run can only be rescheduled if it has a
    deployment; it is then marked ``resuming``, so entering Running does not count a new
    attempt."""

    FROM_STATES = frozenset({S.PAUSED})
    TO_STATES = frozenset({S.RUNNING, S.SCHEDULED, S.PENDING})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        initial = ctx.initial
        assert initial is not None  # FROM_STATES holds no None
        expires = pause_expiration_of(initial)
        if expires is not None and expires <= ctx.now:
            failed = State(
                S.FAILED,
                message=expired_pause_message(initial, expires),
                timestamp=ctx.proposed.timestamp,
            )
            ctx.reject("The flow run's pause has timed out and can no longer resume.", failed)
            return
        if initial.state_details.get("pause_reschedule") and ctx.proposed.type is not S.RUNNING:
            if ctx.run.get("deployment_id") is None:
                ctx.abort(
                    f"Cannot reschedule a {_paused_word(initial)} flow run without a deployment."
                )
                return
            policy = dict(ctx.run.get("empirical_policy") or {})
            ctx.run_changes["empirical_policy"] = {**policy, "resuming": True}


def pause_expiration_of(state: State) -> _dt.datetime | None:
    """When a Paused state's pause times out (its ``pause_timeout`` detail), if it does."""
    value = state.state_details.get("pause_timeout")
    if value is None:
        return None
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value


def expired_pause_message(state: State, expires: _dt.datetime) -> str:
    """The message of the Failed state a run whose pause timed out ends in."""
    return (
        f"The flow run was {_paused_word(state)} and never resumed: its {_pause_verb(state)} "
        f"timed out at {expires.isoformat(timespec='seconds')}."
    )


class EnsureOnlyScheduledFlowsMarkedLate(Rule):
    """Only a scheduled run that is not already late can be marked Late."""

    FROM_STATES = _ALL | {None}
    TO_STATES = frozenset({S.SCHEDULED})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        if ctx.proposed.name != "Late":
            return
        initial = ctx.initial
        if initial is None or initial.type is not S.SCHEDULED or initial.name == "Late":
            ctx.reject("Only a scheduled run that is not already late can be marked Late.")


class WaitForScheduledTime(Rule):
    """A run may not start before its scheduled time: the client is told how long to wait."""

    FROM_STATES = frozenset({S.SCHEDULED, S.PENDING})
    TO_STATES = frozenset({S.RUNNING})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        scheduled = scheduled_time_of(ctx.initial)
        if scheduled is None:
            return
        delay = (scheduled - ctx.now).total_seconds()
        if delay > 0:
            ctx.wait(delay, f"The run is scheduled to start in {delay:.1f}s.")


class RetryFailedFlows(Rule):
    """A failed run with retries left is rescheduled as AwaitingRetry after its retry delay."""

    FROM_STATES = frozenset({S.RUNNING})
    TO_STATES = frozenset({S.FAILED})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        policy = ctx.run.get("empirical_policy") or {}
        retries = policy.get("retries") or 0
        run_count = ctx.run.get("run_count") or 0
        if run_count > retries or ctx.proposed.state_details.get("retriable") is False:
            return
        delay = retry_delay_seconds(
            policy.get("retry_delay"), run_count, policy.get("retry_jitter_factor")
        )
        proposed = ctx.proposed
        details = dict(proposed.state_details)
        details["scheduled_time"] = ctx.now + _dt.timedelta(seconds=delay)
        retry = State(
            S.SCHEDULED,
            name="AwaitingRetry",
            message=proposed.message,
            data=proposed.data,
            state_details=details,
            timestamp=proposed.timestamp,
        )
        ctx.reject(f"Retrying: attempt {run_count} of {retries + 1} failed.", retry)


class PreventCrashingScheduledRuns(Rule):
    """A Scheduled run has no process that could crash: a Crashed proposed for it (by a worker
    whose process ended after the crash check had already rescheduled the run) is refused and
    nothing is written, so the retry stands."""

    FROM_STATES = frozenset({S.SCHEDULED})
    TO_STATES = frozenset({S.CRASHED})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        name = ctx.initial.name if ctx.initial is not None else "Scheduled"
        ctx.reject(f"The run is {name}: it has no process that could have crashed.")


def crash_retry_state(run: Run, crashed: State, now: _dt.datetime) -> State | None:
    """The AwaitingRetry state a crashed run of a deployment is rescheduled in when its
    retries are not used up (a worker then picks it up again), else None. A run without a
    deployment has no one to pick it up: it stays Crashed (``praefect flow-run retry``).

    A Running run's attempt is its run count; a Pending one (claimed by a worker that died
    before it started) counts the attempt it did not get to start as used."""
    if run.get("deployment_id") is None:
        return None
    run_count = run.get("run_count") or 0
    if run.get("state_type") == S.RUNNING.value:
        attempt = run_count
    elif run.get("state_type") == S.PENDING.value:
        attempt = run_count + 1
    else:
        return None  # a run being cancelled is not retried
    policy = run.get("empirical_policy") or {}
    retries = policy.get("retries") or 0
    if attempt < 1 or attempt > retries:
        return None
    delay = retry_delay_seconds(
        policy.get("retry_delay"), attempt, policy.get("retry_jitter_factor")
    )
    details = dict(crashed.state_details)
    details["scheduled_time"] = now + _dt.timedelta(seconds=delay)
    return State(
        S.SCHEDULED,
        name="AwaitingRetry",
        message=crashed.message,
        state_details=details,
        timestamp=crashed.timestamp,
    )


class RetryCrashedDeploymentRuns(Rule):
    """A crashed run of a deployment (its process died, was killed, lost its heartbeat) with
    retries left is rescheduled as AwaitingRetry, for a worker to run again."""

    FROM_STATES = frozenset({S.RUNNING})
    TO_STATES = frozenset({S.CRASHED})

    @staticmethod
    def apply(ctx: TransitionContext) -> None:
        retry = crash_retry_state(ctx.run, ctx.proposed, ctx.now)
        if retry is not None:
            run_count = ctx.run.get("run_count") or 0
            ctx.reject(f"Retrying after a crash: attempt {run_count} crashed.", retry)


FLOW_POLICY: tuple[type[Rule], ...] = (
    FenceStaleAttempts,
    PreventConcurrentAttempts,
    HandleFlowTerminalStateTransitions,
    BypassCancellingFlowRunsWithNoInfra,
    PreventPendingTransitions,
    HandlePausingFlows,
    HandleResumingPausedFlows,
    EnsureOnlyScheduledFlowsMarkedLate,
    WaitForScheduledTime,
    RetryFailedFlows,
    RetryCrashedDeploymentRuns,
    PreventCrashingScheduledRuns,
)
"""The rules of an ordinary proposal, in the order they are asked."""

MINIMAL_FLOW_POLICY: tuple[type[Rule], ...] = (
    FenceStaleAttempts,
    BypassCancellingFlowRunsWithNoInfra,
)
"""The rules of a forced proposal (``force=True``), as in Prefect's MinimalFlowPolicy, and the
fence: a stale attempt cannot force its way either."""


def apply_policy(policy: Sequence[type[Rule]], ctx: TransitionContext) -> TransitionContext:
    """Ask each rule of ``policy`` in turn until one does not accept; return ``ctx``."""
    for rule in policy:
        if rule.governs(ctx):
            rule.apply(ctx)
            if ctx.status is not SetStateStatus.ACCEPT:
                break
    return ctx


def retry_delay_seconds(
    retry_delay: float | Sequence[float] | None, attempt: int, jitter_factor: float | None = None
) -> float:
    """The delay before retry number ``attempt`` (1-based): a list is indexed by attempt and its
    last element repeats; jitter spreads it uniformly by ``± jitter_factor``.

    >>> retry_delay_seconds([1, 10], 1), retry_delay_seconds([1, 10], 5), retry_delay_seconds(3, 2)
    (1.0, 10.0, 3.0)
    """
    if retry_delay is None:
        delay = 0.0
    elif isinstance(retry_delay, int | float):
        delay = float(retry_delay)
    elif len(retry_delay) == 0:
        delay = 0.0
    else:
        delay = float(retry_delay[min(max(attempt, 1), len(retry_delay)) - 1])
    if jitter_factor and delay > 0:
        delay = max(0.0, delay * (1 + jitter_factor * random.uniform(-1.0, 1.0)))
    return delay


def scheduled_time_of(state: State | None) -> _dt.datetime | None:
    """The ``scheduled_time`` of a state's details as an aware datetime, if it has one."""
    if state is None:
        return None
    value = state.state_details.get("scheduled_time")
    if value is None:
        return None
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value
