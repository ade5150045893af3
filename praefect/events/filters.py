"""The event filters of Prefect's ``prefect.events.filters``: the body of
``POST /api/events/filter`` and of a ``ws /api/events/out`` subscription.

>>> from praefect.events.filters import EventFilter, EventNameFilter
>>> EventFilter(event=EventNameFilter(prefix=["prefect.flow-run."])).event.prefix
['prefect.flow-run.']
"""

from __future__ import annotations

from praefect.schemas.events import (
    EventAnyResourceFilter,
    EventFilter,
    EventIDFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventOrder,
    EventRelatedFilter,
    EventResourceFilter,
)

__all__ = [
    "EventAnyResourceFilter",
    "EventFilter",
    "EventIDFilter",
    "EventNameFilter",
    "EventOccurredFilter",
    "EventOrder",
    "EventRelatedFilter",
    "EventResourceFilter",
]
