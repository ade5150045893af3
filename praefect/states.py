"""States of flow runs and task runs, and their constructors (Prefect 3's ``prefect.states``).

>>> from praefect.states import Completed, Failed, StateType
>>> Completed(message="done").type is StateType.COMPLETED
True
>>> Failed().is_final()
True
"""

from __future__ import annotations

import datetime as _dt
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from praefect.schemas import states as _schema_states
from praefect.schemas.states import TERMINAL_STATES, State, StateDetails, StateType
from praefect.utilities import ids

__all__ = [
    "AwaitingConcurrencySlot",
    "AwaitingRetry",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "InfrastructurePending",
    "Late",
    "Paused",
    "Pending",
    "Retrying",
    "RolledBack",
    "Running",
    "Scheduled",
    "State",
    "StateDetails",
    "StateGroup",
    "StateType",
    "Submitting",
    "Suspended",
    "TERMINAL_STATES",
    "exception_to_crashed_state",
    "exception_to_failed_state",
    "format_exception",
    "get_state_exception",
    "get_state_result",
    "is_state_iterable",
    "raise_state_exception",
    "return_value_to_state",
]


def _make(type_: StateType, default_name: str | None, kwargs: dict[str, Any]) -> State:
    kwargs.setdefault("name", default_name)
    return State(type_, **kwargs)


def Scheduled(scheduled_time: _dt.datetime | None = None, **kwargs: Any) -> State:
    """A run waiting for its ``scheduled_time`` (now when not given)."""
    details = dict(kwargs.pop("state_details", None) or {})
    details.setdefault("scheduled_time", scheduled_time or _dt.datetime.now(_dt.UTC))
    return _make(StateType.SCHEDULED, "Scheduled", {**kwargs, "state_details": details})


def Late(scheduled_time: _dt.datetime | None = None, **kwargs: Any) -> State:
    """A Scheduled run whose time has passed without it starting."""
    return Scheduled(scheduled_time, **{"name": "Late", **kwargs})


def AwaitingRetry(scheduled_time: _dt.datetime | None = None, **kwargs: Any) -> State:
    """A failed run that will run again at ``scheduled_time``."""
    return Scheduled(scheduled_time, **{"name": "AwaitingRetry", **kwargs})


def AwaitingConcurrencySlot(scheduled_time: _dt.datetime | None = None, **kwargs: Any) -> State:
    """A run waiting for a concurrency slot."""
    return Scheduled(scheduled_time, **{"name": "AwaitingConcurrencySlot", **kwargs})


def Pending(**kwargs: Any) -> State:
    """A run about to start."""
    return _make(StateType.PENDING, "Pending", kwargs)


def Submitting(**kwargs: Any) -> State:
    """A run whose infrastructure is being submitted."""
    return _make(StateType.PENDING, "Submitting", kwargs)


def InfrastructurePending(**kwargs: Any) -> State:
    """A run whose infrastructure is starting."""
    return _make(StateType.PENDING, "InfrastructurePending", kwargs)


def Running(**kwargs: Any) -> State:
    """A run executing its code."""
    return _make(StateType.RUNNING, "Running", kwargs)


def Retrying(**kwargs: Any) -> State:
    """A run executing again after a failure."""
    return _make(StateType.RUNNING, "Retrying", kwargs)


def Completed(**kwargs: Any) -> State:
    """A run that finished successfully; ``data`` holds its result."""
    return _make(StateType.COMPLETED, "Completed", kwargs)


def RolledBack(**kwargs: Any) -> State:
    """A completed task run whose transaction rolled back (its rollback hooks have run)."""
    kwargs.setdefault("message", "Rolled back as part of a transaction.")
    return _make(StateType.COMPLETED, "RolledBack", kwargs)


def Failed(**kwargs: Any) -> State:
    """A run whose code raised; ``data`` holds the exception."""
    return _make(StateType.FAILED, "Failed", kwargs)


def Crashed(**kwargs: Any) -> State:
    """A run stopped by its infrastructure (process killed, interrupt), not by its code."""
    return _make(StateType.CRASHED, "Crashed", kwargs)


def Cancelling(**kwargs: Any) -> State:
    """A run asked to stop."""
    return _make(StateType.CANCELLING, "Cancelling", kwargs)


def Cancelled(**kwargs: Any) -> State:
    """A run that was stopped on request."""
    return _make(StateType.CANCELLED, "Cancelled", kwargs)


def Paused(
    timeout_seconds: int | None = None,
    pause_expiration_time: _dt.datetime | None = None,
    reschedule: bool = False,
    pause_key: str | None = None,
    **kwargs: Any,
) -> State:
    """A run waiting to be resumed."""
    details = dict(kwargs.pop("state_details", None) or {})
    if timeout_seconds is not None and pause_expiration_time is None:
        # the clock in force (a test's frozen one too): the expiry is checked against it
        now = _schema_states.now_utc()
        pause_expiration_time = now + _dt.timedelta(seconds=timeout_seconds)
    details.setdefault("pause_timeout", pause_expiration_time)
    details.setdefault("pause_reschedule", reschedule)
    details.setdefault("pause_key", pause_key)
    return _make(StateType.PAUSED, "Paused", {**kwargs, "state_details": details})


def Suspended(**kwargs: Any) -> State:
    """A paused run whose process has exited; it is rescheduled when resumed."""
    return Paused(reschedule=True, **{"name": "Suspended", **kwargs})


# -- helpers -----------------------------------------------------------------------------------


def is_state_iterable(value: object) -> bool:
    """True for a non-empty list, tuple or set whose items are all states."""
    if isinstance(value, list | tuple | set | frozenset) and value:
        return all(isinstance(v, State) for v in value)
    return False


def get_state_result(state: State, raise_on_failure: bool = True, fetch: bool = True) -> Any:
    """``state.result()`` as a function."""
    return state.result(raise_on_failure=raise_on_failure)


def get_state_exception(state: State) -> BaseException:
    """The exception a failed, crashed or cancelled state holds."""
    return _schema_states.state_exception(state)


async def aget_state_exception(state: State) -> BaseException:
    return get_state_exception(state)


def raise_state_exception(state: State) -> None:
    """Raise the state's exception if it is Failed, Crashed or Cancelled."""
    if state.type in (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED):
        raise get_state_exception(state)


def format_exception(exc: BaseException, tb: TracebackType | None = None) -> str:
    """``"ValueError: message"``, the one-line form used in state messages."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def exception_to_failed_state(
    exc: BaseException | None = None, message: str | None = None, **kwargs: Any
) -> State:
    """A Failed state holding ``exc``, with a message naming it."""
    if exc is None:
        raise ValueError("exception_to_failed_state() needs an exception")
    if message is None:
        message = f"Run failed: {format_exception(exc)}"
    return Failed(data=exc, message=message, **kwargs)


def exception_to_crashed_state(exc: BaseException, **kwargs: Any) -> State:
    """A Crashed state for an infrastructure-level interruption."""
    if isinstance(exc, KeyboardInterrupt):
        message = "Execution was aborted by an interrupt signal."
    elif isinstance(exc, SystemExit):
        message = "Execution was aborted by Python system exit call."
    else:
        message = f"Execution was interrupted by an unexpected exception: {format_exception(exc)}"
    return Crashed(data=exc, message=message, **kwargs)


def _final_state_of(item: object) -> State | None:
    if isinstance(item, State):
        return item
    state_of = getattr(item, "_praefect_state_for_return", None)
    if state_of is not None:
        return state_of()
    return None


def return_value_to_state(retval: object) -> State:
    """The final state of a run from its return value (Prefect's rules): a returned state is the
    final state; a returned future counts as its state; a collection of states and futures
    fails if any of them is not Completed; anything else is Completed with the value as data."""
    single = _final_state_of(retval)
    if single is not None:
        # a copy with an id of its own: the run's state (and its event, whose id is the
        # state's) is not the one it came from (a task run's, already stored)
        return single.copy(id=ids.uuid7()) if single.is_final() else single
    if isinstance(retval, list | tuple | set | frozenset) and retval:
        states = [_final_state_of(v) for v in retval]
        if all(s is not None for s in states):
            group = StateGroup(states)  # type: ignore[arg-type]
            if group.all_completed():
                return Completed(data=retval)
            if group.any_cancelled():
                return Cancelled(
                    message=f"{group.cancelled_count}/{len(states)} states cancelled.", data=retval
                )
            return Failed(
                message=f"{group.fail_count}/{len(states)} states failed.",
                data=_first_exception(states),
            )
    return Completed(data=retval)


def _first_exception(states: Iterable[State | None]) -> Any:
    for s in states:
        if s is not None and s.type in (StateType.FAILED, StateType.CRASHED):
            return s.data if isinstance(s.data, BaseException) else None
    return None


class StateGroup:
    """Counts over a group of states (used for final-state determination)."""

    def __init__(self, states: list[State]) -> None:
        self.states = states
        self.type_counts: dict[StateType, int] = {}
        for s in states:
            self.type_counts[s.type] = self.type_counts.get(s.type, 0) + 1

    @property
    def fail_count(self) -> int:
        return self.type_counts.get(StateType.FAILED, 0) + self.type_counts.get(
            StateType.CRASHED, 0
        )

    @property
    def cancelled_count(self) -> int:
        return self.type_counts.get(StateType.CANCELLED, 0)

    def all_completed(self) -> bool:
        return self.type_counts.get(StateType.COMPLETED, 0) == len(self.states)

    def any_cancelled(self) -> bool:
        return self.cancelled_count > 0

    def any_failed(self) -> bool:
        return self.fail_count > 0

    def all_final(self) -> bool:
        return all(s.is_final() for s in self.states)

    def counts_message(self) -> str:
        parts = [f"{t.value!r}: {n}" for t, n in self.type_counts.items()]
        return f"total={len(self.states)} {{{', '.join(parts)}}}"


def _traceback_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
