"""Deployment triggers (Prefect's ``DeploymentEventTrigger``, ...): a trigger given to
``flow.serve(triggers=...)`` or ``flow.to_deployment(triggers=...)`` becomes an automation
owned by the deployment, whose action runs it (with ``parameters``, ``job_variables``,
``schedule_after``).

>>> import uuid
>>> trigger = DeploymentEventTrigger(expect={"acme.upload"}, parameters={"path": "{{ event.resource.id }}"})
>>> automation = as_automation(trigger, uuid.UUID(int=1))
>>> automation.owner_resource, automation.actions[0].type, automation.trigger.type
('prefect.deployment.00000000-0000-0000-0000-000000000001', 'run-deployment', 'event')
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Discriminator, Field, Tag

from praefect.schemas.automation_actions import RunDeployment, Seconds
from praefect.schemas.automations import (
    AutomationCore,
    CompoundTrigger,
    EventTrigger,
    SequenceTrigger,
    _trigger_type,
)

__all__ = [
    "BaseDeploymentTrigger",
    "DeploymentCompoundTrigger",
    "DeploymentEventTrigger",
    "DeploymentSequenceTrigger",
    "DeploymentTriggerTypes",
    "as_automation",
    "parse_trigger",
]


class BaseDeploymentTrigger(BaseModel):
    """The automation's fields (``name``, ``description``, ``enabled``) and the run's
    (``parameters``, ``job_variables``, ``schedule_after``) a deployment trigger adds."""

    name: str | None = None
    description: str = ""
    enabled: bool = True
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None
    schedule_after: Seconds = Field(default_factory=lambda: _dt.timedelta(0))


class DeploymentEventTrigger(BaseDeploymentTrigger, EventTrigger):
    """An ``EventTrigger`` that runs its deployment."""

    trigger_type: ClassVar[type[Any]] = EventTrigger


class DeploymentCompoundTrigger(BaseDeploymentTrigger, CompoundTrigger):
    """A ``CompoundTrigger`` that runs its deployment."""

    trigger_type: ClassVar[type[Any]] = CompoundTrigger


class DeploymentSequenceTrigger(BaseDeploymentTrigger, SequenceTrigger):
    """A ``SequenceTrigger`` that runs its deployment."""

    trigger_type: ClassVar[type[Any]] = SequenceTrigger


DeploymentTriggerTypes = Annotated[
    Annotated[DeploymentEventTrigger, Tag("event")]
    | Annotated[DeploymentCompoundTrigger, Tag("compound")]
    | Annotated[DeploymentSequenceTrigger, Tag("sequence")],
    Discriminator(_trigger_type),
]
"""Any deployment trigger (as written under ``triggers:`` in ``praefect.yaml``)."""

_OWN_FIELDS = set(BaseDeploymentTrigger.model_fields)


def parse_trigger(trigger: Any) -> Any:
    """A trigger as given (a model), or one read from a mapping (``triggers:`` of
    ``praefect.yaml``); ``ValueError`` naming what is wrong with it."""
    if isinstance(trigger, dict):
        from pydantic import TypeAdapter

        return TypeAdapter(DeploymentTriggerTypes).validate_python(trigger)
    return trigger


def as_automation(trigger: Any, deployment_id: uuid.UUID) -> AutomationCore:
    """The automation a trigger of deployment ``deployment_id`` stands for: owned by the
    deployment, its one action running it. ``trigger`` is a deployment trigger, a plain
    trigger (``EventTrigger``, ...), or a mapping of either."""
    trigger = parse_trigger(trigger)
    own = {k: getattr(trigger, k) for k in _OWN_FIELDS if hasattr(trigger, k)}
    plain_type = getattr(type(trigger), "trigger_type", type(trigger))
    plain = plain_type.model_validate(trigger.model_dump(exclude=_OWN_FIELDS))
    action = RunDeployment(
        source="selected",
        deployment_id=deployment_id,
        parameters=own.get("parameters"),
        job_variables=own.get("job_variables"),
        schedule_after=own.get("schedule_after") or _dt.timedelta(0),
    )
    return AutomationCore(
        name=own.get("name") or f"Automation for deployment {deployment_id}",
        description=own.get("description", ""),
        enabled=own.get("enabled", True),
        trigger=plain,
        actions=[action],
        owner_resource=f"prefect.deployment.{deployment_id}",
    )
