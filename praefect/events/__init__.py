"""Events, as Prefect's ``prefect.events``: ``emit_event`` and the event schemas.

>>> from praefect.events import emit_event
>>> event = emit_event(
...     event="acme.order.created",
...     resource={"prefect.resource.id": "acme.order.42", "prefect.resource.name": "order 42"},
...     payload={"amount": 3},
... )
>>> event.resource.name
'order 42'

See docs/events.md. Automations, triggers and actions are ``praefect.automations``.
"""

from __future__ import annotations

from praefect.events.clients import (
    EventsClient,
    EventSubscriber,
    emit_event,
    get_events_client,
    get_events_subscriber,
)
from praefect.schemas.events import (
    Event,
    ReceivedEvent,
    RelatedResource,
    Resource,
    ResourceSpecification,
)

__all__ = [
    "Event",
    "EventSubscriber",
    "EventsClient",
    "ReceivedEvent",
    "RelatedResource",
    "Resource",
    "ResourceSpecification",
    "emit_event",
    "get_events_client",
    "get_events_subscriber",
]
