"""What an automation does when it fires: Prefect 3's actions (``prefect.events.actions``),
their ``type`` names and fields to the letter.

An action naming its object (``source="selected"``) carries its id; one with
``source="inferred"`` acts on the object the triggering event is about (the flow run, the
deployment, ...). Text fields are Jinja templates over the event (see
``docs/automations.md``).

>>> RunDeployment(deployment_id="5e7b6d4e-57ad-4a36-b4a5-4c5b3f1c8a6f", parameters={"n": 1}).type
'run-deployment'
>>> ActionAdapter.validate_python({"type": "do-nothing"})
DoNothing(type='do-nothing')
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    model_validator,
)

from praefect.schemas.states import StateType

__all__ = [
    "Action",
    "ActionAdapter",
    "ActionTypes",
    "AutomationAction",
    "CallWebhook",
    "CancelFlowRun",
    "ChangeFlowRunState",
    "DeclareIncident",
    "DeleteFlowRun",
    "DeploymentAction",
    "DoNothing",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "PauseWorkQueue",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeFlowRun",
    "ResumeWorkPool",
    "ResumeWorkQueue",
    "RunDeployment",
    "Seconds",
    "SendNotification",
    "SuspendFlowRun",
    "WorkPoolAction",
    "WorkQueueAction",
]


def _seconds(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _dt.timedelta(seconds=value)
    return value


Seconds = Annotated[
    _dt.timedelta,
    BeforeValidator(_seconds),
    PlainSerializer(lambda value: value.total_seconds(), return_type=float, when_used="json"),
]
"""A duration: seconds (a number) or an ISO 8601 duration in, seconds out (as Prefect)."""


class Action(BaseModel):
    """Something an automation does when it fires."""

    model_config = ConfigDict(extra="ignore")

    type: str

    def describe_for_cli(self) -> str:
        """The action in a few words (``Run deployment``)."""
        return self.type.replace("-", " ").capitalize()


class DoNothing(Action):
    """Nothing (an automation that only records that it fired)."""

    type: Literal["do-nothing"] = "do-nothing"


def _selected_needs_id(action: Any, field: str) -> None:
    selected, has_id = action.source == "selected", getattr(action, field) is not None
    if selected and not has_id:
        raise ValueError(f"{field} is required when source is 'selected'")
    if has_id and not selected:
        raise ValueError(f"{field} is not allowed when source is 'inferred'")


class DeploymentAction(Action):
    """An action on a deployment: the one of ``deployment_id`` (``source="selected"``), or the
    one the triggering event names (``source="inferred"``)."""

    source: Literal["selected", "inferred"] = "selected"
    deployment_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        _selected_needs_id(self, "deployment_id")
        return self


class RunDeployment(DeploymentAction):
    """Create a run of the deployment, with these parameters and job variables (None: the
    deployment's), scheduled ``schedule_after`` from now."""

    type: Literal["run-deployment"] = "run-deployment"
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None
    schedule_after: Seconds = Field(default_factory=lambda: _dt.timedelta(0))

    @model_validator(mode="after")
    def _non_negative(self) -> Self:
        if self.schedule_after < _dt.timedelta(0):
            raise ValueError("schedule_after must not be negative")
        return self


class PauseDeployment(DeploymentAction):
    """Pause the deployment (its schedules stop making runs)."""

    type: Literal["pause-deployment"] = "pause-deployment"


class ResumeDeployment(DeploymentAction):
    """Resume the deployment."""

    type: Literal["resume-deployment"] = "resume-deployment"


class ChangeFlowRunState(Action):
    """Move the flow run the event is about to ``state`` (named ``name``)."""

    type: Literal["change-flow-run-state"] = "change-flow-run-state"
    name: str | None = None
    state: StateType
    message: str | None = None
    force: bool = False


class CancelFlowRun(Action):
    """Cancel the flow run the event is about."""

    type: Literal["cancel-flow-run"] = "cancel-flow-run"


class DeleteFlowRun(Action):
    """Delete the flow run the event is about."""

    type: Literal["delete-flow-run"] = "delete-flow-run"


class ResumeFlowRun(Action):
    """Resume the paused or suspended flow run the event is about."""

    type: Literal["resume-flow-run"] = "resume-flow-run"


class SuspendFlowRun(Action):
    """Suspend the flow run the event is about."""

    type: Literal["suspend-flow-run"] = "suspend-flow-run"


class CallWebhook(Action):
    """Call the webhook block ``block_document_id`` with ``payload`` (a template)."""

    type: Literal["call-webhook"] = "call-webhook"
    block_document_id: uuid.UUID
    payload: str = ""


class SendNotification(Action):
    """Send ``subject`` and ``body`` (templates) through the notification block
    ``block_document_id``."""

    type: Literal["send-notification"] = "send-notification"
    block_document_id: uuid.UUID
    subject: str = "Prefect automated notification"
    body: str


class WorkPoolAction(Action):
    """An action on a work pool: ``work_pool_id``'s, or the one the event names."""

    source: Literal["selected", "inferred"] = "selected"
    work_pool_id: uuid.UUID | None = None


class PauseWorkPool(WorkPoolAction):
    """Pause the work pool."""

    type: Literal["pause-work-pool"] = "pause-work-pool"


class ResumeWorkPool(WorkPoolAction):
    """Resume the work pool."""

    type: Literal["resume-work-pool"] = "resume-work-pool"


class WorkQueueAction(Action):
    """An action on a work queue: ``work_queue_id``'s, or the one the event names."""

    source: Literal["selected", "inferred"] = "selected"
    work_queue_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        _selected_needs_id(self, "work_queue_id")
        return self


class PauseWorkQueue(WorkQueueAction):
    """Pause the work queue."""

    type: Literal["pause-work-queue"] = "pause-work-queue"


class ResumeWorkQueue(WorkQueueAction):
    """Resume the work queue."""

    type: Literal["resume-work-queue"] = "resume-work-queue"


class AutomationAction(Action):
    """An action on an automation: ``automation_id``'s, or the one the event names."""

    source: Literal["selected", "inferred"] = "selected"
    automation_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _check_source(self) -> Self:
        _selected_needs_id(self, "automation_id")
        return self


class PauseAutomation(AutomationAction):
    """Disable the automation."""

    type: Literal["pause-automation"] = "pause-automation"


class ResumeAutomation(AutomationAction):
    """Enable the automation."""

    type: Literal["resume-automation"] = "resume-automation"


class DeclareIncident(Action):
    """Declare an incident (Prefect Cloud only: praefect records it as failed)."""

    type: Literal["declare-incident"] = "declare-incident"


ActionTypes = Annotated[
    DoNothing
    | RunDeployment
    | PauseDeployment
    | ResumeDeployment
    | ResumeFlowRun
    | CancelFlowRun
    | DeleteFlowRun
    | ChangeFlowRunState
    | PauseWorkQueue
    | ResumeWorkQueue
    | SendNotification
    | CallWebhook
    | PauseAutomation
    | ResumeAutomation
    | SuspendFlowRun
    | PauseWorkPool
    | ResumeWorkPool
    | DeclareIncident,
    Field(discriminator="type"),
]
"""Any action, told apart by its ``type``."""

ActionAdapter: TypeAdapter[Any] = TypeAdapter(ActionTypes)
"""Validates one action (a dict) into its model."""
