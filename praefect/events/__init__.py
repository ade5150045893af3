"""Events, as Prefect's ``prefect.events``: ``emit_event`` and the event schemas.

>>> from praefect.events import emit_event
>>> event = emit_event(
...     event="acme.order.created",
...     resource={"prefect.resource.id": "acme.order.42", "prefect.resource.name": "order 42"},
...     payload={"amount": 3},
... )
>>> event.resource.name
'order 42'

See docs/events.md. Automations, triggers and actions are ``praefect.automations`` (and here
too, as in Prefect); deployment triggers are ``DeploymentEventTrigger``, ... (docs/automations.md).
"""

from __future__ import annotations

from praefect.events.clients import (
    EventsClient,
    EventSubscriber,
    emit_event,
    get_events_client,
    get_events_subscriber,
)
from praefect.events.subscribers import FlowRunSubscriber
from praefect.schemas.automation_actions import (
    Action,
    ActionTypes,
    CallWebhook,
    CancelFlowRun,
    ChangeFlowRunState,
    DeclareIncident,
    DeleteFlowRun,
    DoNothing,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    PauseWorkQueue,
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    ResumeWorkQueue,
    RunDeployment,
    SendNotification,
    SuspendFlowRun,
)
from praefect.schemas.automations import (
    Automation,
    AutomationCore,
    CompositeTrigger,
    CompoundTrigger,
    EventTrigger,
    Posture,
    ResourceTrigger,
    SequenceTrigger,
    Trigger,
    TriggerTypes,
)
from praefect.schemas.deployment_triggers import (
    DeploymentCompoundTrigger,
    DeploymentEventTrigger,
    DeploymentSequenceTrigger,
    DeploymentTriggerTypes,
)
from praefect.schemas.events import (
    Event,
    ReceivedEvent,
    RelatedResource,
    Resource,
    ResourceSpecification,
)

__all__ = [
    "Action",
    "ActionTypes",
    "Automation",
    "AutomationCore",
    "CallWebhook",
    "CancelFlowRun",
    "ChangeFlowRunState",
    "CompositeTrigger",
    "CompoundTrigger",
    "DeclareIncident",
    "DeleteFlowRun",
    "DeploymentCompoundTrigger",
    "DeploymentEventTrigger",
    "DeploymentSequenceTrigger",
    "DeploymentTriggerTypes",
    "DoNothing",
    "Event",
    "EventSubscriber",
    "EventTrigger",
    "EventsClient",
    "FlowRunSubscriber",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "PauseWorkQueue",
    "Posture",
    "ReceivedEvent",
    "RelatedResource",
    "Resource",
    "ResourceSpecification",
    "ResourceTrigger",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "ResumeWorkQueue",
    "RunDeployment",
    "SendNotification",
    "SequenceTrigger",
    "SuspendFlowRun",
    "Trigger",
    "TriggerTypes",
    "emit_event",
    "get_events_client",
    "get_events_subscriber",
]
