"""What the orchestrator answers to a proposed state (Prefect's ``OrchestrationResult``).

>>> from praefect.schemas.states import State
>>> result = OrchestrationResult(status=SetStateStatus.ACCEPT, state=State("RUNNING"))
>>> result.status.value, result.details.reason
('ACCEPT', None)
"""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Details(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str | None = None
    """Why the proposal was not accepted as is."""
    delay_seconds: float | None = None
    """For WAIT: how long to wait before proposing again."""


class StateAcceptDetails(_Details):
    """Details of an ACCEPT."""

    type: Literal["accept_details"] = "accept_details"


class StateRejectDetails(_Details):
    """Details of a REJECT."""

    type: Literal["reject_details"] = "reject_details"


class StateAbortDetails(_Details):
    """Details of an ABORT."""

    type: Literal["abort_details"] = "abort_details"


class StateWaitDetails(_Details):
    """Details of a WAIT."""

    type: Literal["wait_details"] = "wait_details"


_DETAILS: dict[SetStateStatus, type[_Details]] = {
    SetStateStatus.ACCEPT: StateAcceptDetails,
    SetStateStatus.REJECT: StateRejectDetails,
    SetStateStatus.ABORT: StateAbortDetails,
    SetStateStatus.WAIT: StateWaitDetails,
}


class OrchestrationResult(BaseModel):
    """The answer to ``set_flow_run_state``: ``status``, the ``state`` now current (the proposed
    one on ACCEPT, its replacement on REJECT, the unchanged current one otherwise) and
    ``details``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    state: State | None = None
    status: SetStateStatus
    details: StateAcceptDetails | StateRejectDetails | StateAbortDetails | StateWaitDetails = Field(
        default_factory=StateAcceptDetails
    )

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
