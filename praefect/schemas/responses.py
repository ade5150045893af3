"""What the orchestrator answers to a proposed state (Prefect's ``OrchestrationResult``).

>>> from praefect.schemas.states import State
>>> result = OrchestrationResult(status=SetStateStatus.ACCEPT, state=State("RUNNING"))
>>> result.status.value, result.details.reason
('ACCEPT', None)
"""

from __future__ import annotations

import dataclasses
import enum
from typing import ClassVar

from praefect.schemas.states import State

__all__ = [
    "OrchestrationResult",
    "SetStateStatus",
    "StateAbortDetails",
    "StateAcceptDetails",
    "StateRejectDetails",
    "StateWaitDetails",
]


class SetStateStatus(enum.StrEnum):
    """The four answers to a proposed state."""

    ACCEPT = "ACCEPT"
    """The proposed state was written."""
    REJECT = "REJECT"
    """Another state was written (or kept) instead; adopt ``OrchestrationResult.state``."""
    ABORT = "ABORT"
    """Nothing was written; the run must stop."""
    WAIT = "WAIT"
    """Nothing was written; propose again after ``details.delay_seconds``."""


@dataclasses.dataclass(frozen=True)
class _Details:
    # plain dataclasses, not pydantic: every flow-run state change returns one, and importing
    # pydantic on that path alone costs a fresh process ~0.2 s

    reason: str | None = None
    """Why the proposal was not accepted as is."""
    delay_seconds: float | None = None
    """For WAIT: how long to wait before proposing again."""
    type: ClassVar[str] = "details"

    def model_dump(self) -> dict[str, object]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class StateAcceptDetails(_Details):
    """Details of an ACCEPT."""

    type: ClassVar[str] = "accept_details"


@dataclasses.dataclass(frozen=True)
class StateRejectDetails(_Details):
    """Details of a REJECT."""

    type: ClassVar[str] = "reject_details"


@dataclasses.dataclass(frozen=True)
class StateAbortDetails(_Details):
    """Details of an ABORT."""

    type: ClassVar[str] = "abort_details"


@dataclasses.dataclass(frozen=True)
class StateWaitDetails(_Details):
    """Details of a WAIT."""

    type: ClassVar[str] = "wait_details"


_DETAILS: dict[SetStateStatus, type[_Details]] = {
    SetStateStatus.ACCEPT: StateAcceptDetails,
    SetStateStatus.REJECT: StateRejectDetails,
    SetStateStatus.ABORT: StateAbortDetails,
    SetStateStatus.WAIT: StateWaitDetails,
}


@dataclasses.dataclass
class OrchestrationResult:
    """The answer to ``set_flow_run_state``: ``status``, the ``state`` now current (the proposed
    one on ACCEPT, its replacement on REJECT, the unchanged current one otherwise) and
    ``details``."""

    status: SetStateStatus
    state: State | None = None
    details: _Details = dataclasses.field(default_factory=StateAcceptDetails)

    def model_dump(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "state": self.state.to_record() if self.state is not None else None,
            "details": self.details.model_dump(),
        }

    @classmethod
    def of(
        cls,
        status: SetStateStatus,
        state: State | None,
        reason: str | None = None,
        delay_seconds: float | None = None,
    ) -> OrchestrationResult:
        """Build a result whose details class matches ``status``."""
        details = _DETAILS[status](reason=reason, delay_seconds=delay_seconds)
        return cls(status=status, state=state, details=details)
