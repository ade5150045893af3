"""The one exception tree of praefect (names follow Prefect 3).

::

    PrefectException
    ├── MissingContextError            a run-only API was used outside a run
    ├── ParameterBindError             arguments do not fit the function's signature
    │   └── SignatureMismatchError
    ├── ParameterTypeError             a parameter was refused by its type hint
    ├── ReservedArgumentError
    ├── MappingLengthMismatch / MappingMissingIterable
    ├── UpstreamTaskError              an upstream task did not complete
    ├── MissingResult                  a state has no result to give
    ├── UnfinishedRun / FailedRun / CrashedRun / CancelledRun / PausedRun
    ├── FlowRunWaitTimeout / FlowPauseTimeout / NotPausedError
    ├── ObjectNotFound                 a record does not exist
    │   ├── FlowRunNotFound / TaskRunNotFound / FlowNotFound
    ├── ObjectAlreadyExists / ObjectLimitReached
    ├── ConcurrencySlotAcquisitionError  slots of a limit cannot be taken (missing, 0, too many)
    ├── DatabaseUnavailable            the database cannot be reached now (try again later)
    ├── InvalidNameError / SerializationError / ConfigurationError / ScriptError
    ├── MissingFlowError / UnspecifiedFlowError
    └── InfrastructureError / InfrastructureNotFound / InfrastructureNotAvailable
    PrefectSignal (BaseException: control flow, not an error; user code cannot swallow it
                   with ``except Exception``)
    ├── Abort
    ├── Pause
    └── ExternalSignal
        └── TerminationSignal
    TimeoutError subclasses: TaskRunTimeoutError / FlowRunTimeoutError (``TimedOut`` states),
    AcquireConcurrencySlotTimeoutError (no slot came free within ``timeout_seconds``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from praefect.schemas.states import State

__all__ = [
    "Abort",
    "AcquireConcurrencySlotTimeoutError",
    "CancelledRun",
    "ConcurrencySlotAcquisitionError",
    "ConfigurationError",
    "CrashedRun",
    "DatabaseUnavailable",
    "ExternalSignal",
    "FailedRun",
    "FlowNotFound",
    "FlowPauseTimeout",
    "FlowRunNotFound",
    "FlowRunTimeoutError",
    "FlowRunWaitTimeout",
    "InfrastructureError",
    "InfrastructureNotAvailable",
    "InfrastructureNotFound",
    "InvalidNameError",
    "MappingLengthMismatch",
    "MappingMissingIterable",
    "MissingContextError",
    "MissingFlowError",
    "MissingResult",
    "NotPausedError",
    "ObjectAlreadyExists",
    "ObjectLimitReached",
    "ObjectNotFound",
    "ParameterBindError",
    "ParameterTypeError",
    "Pause",
    "PausedRun",
    "PrefectException",
    "PrefectSignal",
    "ReservedArgumentError",
    "ScriptError",
    "SerializationError",
    "SignatureMismatchError",
    "TaskRunNotFound",
    "TaskRunTimeoutError",
    "TerminationSignal",
    "UnfinishedRun",
    "UnspecifiedFlowError",
    "UpstreamTaskError",
]


class PrefectException(Exception):
    """Base class of every praefect error."""


class MissingContextError(PrefectException, RuntimeError):
    """A function that needs a flow or task run context was called outside of one."""


class ParameterBindError(PrefectException, TypeError):
    """The arguments of a call do not bind to the function's signature."""


class SignatureMismatchError(ParameterBindError):
    """Parameters given do not match the function's signature."""


class ParameterTypeError(PrefectException, TypeError):
    """A parameter value was refused by its type hint.

    ``errors`` holds one entry per refused parameter: ``{"parameter", "expected", "value",
    "message"}``.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class ReservedArgumentError(PrefectException, TypeError):
    """A function uses a parameter name that praefect reserves (``return_state``, ``wait_for``)."""


class MappingLengthMismatch(PrefectException, ValueError):
    """Iterables passed to ``Task.map`` have different lengths."""


class MappingMissingIterable(PrefectException, ValueError):
    """``Task.map`` was called without any iterable argument."""


class UpstreamTaskError(PrefectException):
    """An upstream task did not complete, so this one cannot run."""


class MissingResult(PrefectException):
    """A state has no result attached (it was not kept in memory nor persisted)."""


class UnfinishedRun(PrefectException):
    """The result of a run that has not finished was requested."""


class FailedRun(PrefectException):
    """A run failed and no original exception is available."""


class CrashedRun(PrefectException):
    """A run crashed: the infrastructure or the engine stopped it, not user code."""


class CancelledRun(PrefectException):
    """A run was cancelled."""


class PausedRun(PrefectException):
    """A run is paused."""

    def __init__(self, message: str = "", state: State | None = None) -> None:
        super().__init__(message)
        self.state = state


class FlowRunWaitTimeout(PrefectException):
    """Waiting for a flow run to finish timed out."""


class FlowPauseTimeout(PrefectException):
    """A paused flow run was not resumed in time."""


class NotPausedError(PrefectException):
    """Resume was asked of a run that is not paused (``state``: the state it is in)."""

    def __init__(self, message: str = "", state: State | None = None) -> None:
        super().__init__(message)
        self.state = state


class ObjectNotFound(PrefectException):
    """A record does not exist."""

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        for key, value in fields.items():
            setattr(self, key, value)


class FlowRunNotFound(ObjectNotFound):
    """No flow run has this id."""


class TaskRunNotFound(ObjectNotFound):
    """No task run has this id."""


class FlowNotFound(ObjectNotFound):
    """No flow has this id or name."""


class ObjectAlreadyExists(PrefectException):
    """A record with this identity already exists."""


class ConcurrencySlotAcquisitionError(PrefectException):
    """Slots of a concurrency limit cannot be taken: the limit is missing (``strict=True``), is
    0 for a tag, or is smaller than the slots asked for."""

    def __init__(self, message: str, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.names = names or []
        """The limits concerned."""


class ObjectLimitReached(PrefectException):
    """A limit on the number of records was reached."""


class DatabaseUnavailable(PrefectException):
    """The database cannot be reached now (connection refused or lost, server shutting down):
    nothing was written, and the same request may be sent again later. The API answers 503
    with ``Retry-After``."""

    def __init__(self, message: str = "", retry_after: float = 2.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds after which trying again makes sense."""


class InvalidNameError(PrefectException, ValueError):
    """A name contains characters that are not allowed."""


class SerializationError(PrefectException):
    """A value could not be serialized (``parameter``: the argument it was, when it was one)."""

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        for key, value in fields.items():
            setattr(self, key, value)


class ConfigurationError(PrefectException):
    """A setting has a value praefect cannot use."""


class ScriptError(PrefectException):
    """A user script raised while being loaded."""


class MissingFlowError(PrefectException):
    """No flow was found where one was expected."""


class UnspecifiedFlowError(PrefectException):
    """Several flows were found and none was named."""


class InfrastructureError(PrefectException):
    """The infrastructure that runs a flow failed."""


class InfrastructureNotFound(InfrastructureError):
    """The infrastructure of a run no longer exists."""


class InfrastructureNotAvailable(InfrastructureError):
    """The infrastructure of a run cannot be reached."""


class TaskRunTimeoutError(TimeoutError):
    """A task run exceeded its ``timeout_seconds``."""


class AcquireConcurrencySlotTimeoutError(TimeoutError):
    """No slot of a concurrency limit came free within the ``timeout_seconds`` asked for."""


class FlowRunTimeoutError(TimeoutError):
    """A flow run exceeded its ``timeout_seconds``."""


class PrefectSignal(BaseException):
    """Control flow, not an error: derives from BaseException so that ``except Exception`` in user
    code does not swallow it by accident."""


class Abort(PrefectSignal):
    """The orchestrator told this run to stop; nothing more is recorded."""


class Pause(PrefectSignal):
    """The run is pausing."""

    def __init__(self, message: str = "", state: State | None = None) -> None:
        super().__init__(message)
        self.state = state


class ExternalSignal(PrefectSignal):
    """A signal from outside the process (SIGTERM, cancellation)."""


class TerminationSignal(ExternalSignal):
    """The process received a termination signal."""

    def __init__(self, signal: int) -> None:
        super().__init__(f"Received signal {signal}")
        self.signal = signal
