"""Events on the wire (Prefect's ``Event``, ``EventFilter`` and ``EventPage`` shapes).

>>> event = Event(event="acme.order.created", resource={"prefect.resource.id": "acme.order.1"})
>>> event.resource_id
'acme.order.1'
>>> EventFilter.model_validate({"event": {"prefix": ["acme."]}}).event.prefix
['acme.']
"""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from praefect.schemas.actions import UtcDatetime
from praefect.schemas.states import now_utc

__all__ = [
    "Event",
    "EventFilter",
    "EventNameFilter",
    "EventOccurredFilter",
    "EventOrder",
    "EventPage",
    "EventResourceFilter",
]

_RESOURCE_ID = "prefect.resource.id"


def _labels(value: Any) -> Any:
    # Stored labels may hold numbers or nulls; on the wire a label is a string.
    if isinstance(value, dict):
        return {k: v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}
    return value


def _resource(value: dict[str, str]) -> dict[str, str]:
    if not value.get(_RESOURCE_ID):
        raise ValueError(f"a resource needs a non-empty {_RESOURCE_ID!r} label")
    return value


_Resource = Annotated[dict[str, str], BeforeValidator(_labels), AfterValidator(_resource)]


class Event(BaseModel):
    """Something that happened to a resource: ``event`` names it, ``resource`` says to what."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred: UtcDatetime = Field(default_factory=now_utc)
    event: Annotated[str, Field(min_length=1, max_length=255)]
    resource: _Resource
    related: list[_Resource] = Field(default_factory=list)
    payload: dict[str, Any] = Field(default_factory=dict)
    received: _dt.datetime | None = None
    follows: uuid.UUID | None = None

    @property
    def resource_id(self) -> str:
        return self.resource[_RESOURCE_ID]

    def to_row(self, received: _dt.datetime) -> dict[str, Any]:
        """The row ``orchestration.events.write`` stores."""
        row = self.model_dump(mode="json", exclude={"id", "occurred", "received", "follows"})
        row.update(
            id=self.id,
            occurred=self.occurred,
            resource_id=self.resource_id,
            received=received,
            follows=self.follows,
        )
        return row


_Prefixes = Annotated[list[str], Field(max_length=100)]
"""Each prefix is a text match of its own (and SQLite nests at most 1,000 in one query)."""


class EventOccurredFilter(BaseModel):
    """Events that occurred in ``[since, until]`` (either bound optional)."""

    model_config = ConfigDict(extra="ignore")

    since: UtcDatetime | None = None
    until: UtcDatetime | None = None


class EventNameFilter(BaseModel):
    """Events by name: any of ``name``, or starting with any of ``prefix``, minus exclusions."""

    model_config = ConfigDict(extra="ignore")

    prefix: _Prefixes | None = None
    exclude_prefix: _Prefixes | None = None
    name: list[str] | None = None
    exclude_name: list[str] | None = None


class EventResourceFilter(BaseModel):
    """Events about any of these resource ids (or id prefixes)."""

    model_config = ConfigDict(extra="ignore")

    id: list[str] | None = None
    id_prefix: _Prefixes | None = None


class EventOrder(enum.StrEnum):
    """Order of events by ``occurred``."""

    ASC = "ASC"
    DESC = "DESC"


class EventFilter(BaseModel):
    """Which events ``POST /api/events/filter`` returns (criteria Prefect has and praefect does
    not support yet are ignored)."""

    model_config = ConfigDict(extra="ignore")

    occurred: EventOccurredFilter = Field(default_factory=EventOccurredFilter)
    event: EventNameFilter | None = None
    resource: EventResourceFilter | None = None
    order: EventOrder = EventOrder.DESC


class EventPage(BaseModel):
    """One page of events and how many match in all."""

    events: list[Event]
    total: int
    next_page: str | None = None
