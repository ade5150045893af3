"""Events on the wire: Prefect's ``Event``, ``ReceivedEvent``, ``Resource``, ``RelatedResource``,
``EventFilter`` (and its parts), ``EventPage`` and ``EventCount``, field names to the letter.

>>> event = Event(event="acme.order.created", resource={"prefect.resource.id": "acme.order.1"})
>>> event.resource.id, event.resource_id
('acme.order.1', 'acme.order.1')
>>> EventFilter.model_validate({"event": {"prefix": ["acme."]}}).event.prefix
['acme.']
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    field_validator,
    model_validator,
)

from praefect.schemas.actions import UtcDatetime
from praefect.schemas.states import now_utc

__all__ = [
    "Countable",
    "Event",
    "EventAnyResourceFilter",
    "EventCount",
    "EventFilter",
    "EventIDFilter",
    "EventNameFilter",
    "EventOccurredFilter",
    "EventOrder",
    "EventPage",
    "EventRelatedFilter",
    "EventResourceFilter",
    "ReceivedEvent",
    "RelatedResource",
    "Resource",
    "ResourceSpecification",
    "label_matches",
    "TimeUnit",
]

_RESOURCE_ID = "prefect.resource.id"
_ROLE = "prefect.resource.role"
_NAME = re.compile(r"^[^\s\x00-\x1f]+$")


class Resource(RootModel[dict[str, str]]):
    """What an event is about: labels, one of them ``prefect.resource.id`` (required, not
    empty). Reads like a mapping (``resource["prefect.resource.name"]``), with ``id`` and
    ``name`` as attributes."""

    root: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _as_labels(cls, value: Any) -> Any:
        # Stored labels may hold numbers or nulls; on the wire a label is a string.
        if isinstance(value, Resource):
            return value.root
        if isinstance(value, dict):
            return {
                k: v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None
            }
        return value

    @model_validator(mode="after")
    def _has_id(self) -> Resource:
        if not self.root.get(_RESOURCE_ID):
            raise ValueError(f"a resource needs a non-empty {_RESOURCE_ID!r} label")
        return self

    @property
    def id(self) -> str:
        """The ``prefect.resource.id`` label."""
        return self.root[_RESOURCE_ID]

    @property
    def name(self) -> str | None:
        """The ``prefect.resource.name`` label, if any."""
        return self.root.get("prefect.resource.name")

    def prefect_object_id(self, kind: str) -> uuid.UUID:
        """The UUID of a Prefect object named ``<kind>.<uuid>`` (``kind`` as
        ``prefect.flow-run``); ``ValueError`` for another kind."""
        prefix = kind + "."
        if not self.id.startswith(prefix):
            raise ValueError(f"Resource {self.id!r} is not a {kind!r}.")
        return uuid.UUID(self.id[len(prefix) :])

    def __getitem__(self, label: str) -> str:
        return self.root[label]

    def __contains__(self, label: object) -> bool:
        return label in self.root

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def get(self, label: str, default: str | None = None) -> str | None:
        """A label's value, or ``default``."""
        return self.root.get(label, default)

    def keys(self) -> Any:
        return self.root.keys()

    def items(self) -> Any:
        return self.root.items()

    def as_label_value_array(self) -> list[dict[str, str]]:
        """The labels as ``[{"label": ..., "value": ...}]`` (Prefect's helper)."""
        return [{"label": k, "value": v} for k, v in self.root.items()]


class RelatedResource(Resource):
    """Another resource an event involves, in a ``prefect.resource.role`` (required)."""

    @model_validator(mode="after")
    def _has_role(self) -> RelatedResource:
        if not self.root.get(_ROLE):
            raise ValueError(f"a related resource needs a non-empty {_ROLE!r} label")
        return self

    @property
    def role(self) -> str:
        """The ``prefect.resource.role`` label."""
        return self.root[_ROLE]


class Event(BaseModel):
    """Something that happened to a resource: ``event`` names it (dotted text without spaces,
    at most 255 characters), ``resource`` says to what, ``related`` what else it involves."""

    model_config = ConfigDict(extra="ignore")

    occurred: UtcDatetime = Field(default_factory=now_utc)
    event: Annotated[str, Field(min_length=1, max_length=255)]
    resource: Resource
    related: list[RelatedResource] = Field(default_factory=list)
    payload: dict[str, Any] = Field(default_factory=dict)
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    follows: uuid.UUID | None = None

    @field_validator("event")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"an event name is text without spaces or control characters "
                f"(like 'acme.order.created'), not {value!r}"
            )
        return value

    @property
    def resource_id(self) -> str:
        return self.resource.id

    @property
    def involved_resources(self) -> list[Resource]:
        """The resource, then the related ones."""
        return [self.resource, *self.related]

    @property
    def resource_in_role(self) -> dict[str, RelatedResource]:
        """The related resources by role (the last of a role wins)."""
        return {related.role: related for related in self.related}

    def receive(self, received: _dt.datetime | None = None) -> ReceivedEvent:
        """This event as the server received it (now, unless ``received`` says when)."""
        return ReceivedEvent(**dict(self), received=received or now_utc())

    def to_row(self, received: _dt.datetime) -> dict[str, Any]:
        """The row ``orchestration.events.ingest`` stores."""
        return {
            "id": self.id,
            "occurred": self.occurred,
            "event": self.event,
            "resource_id": self.resource.id,
            "resource": self.resource.root,
            "related": [related.root for related in self.related],
            "payload": self.payload,
            "received": received,
            "follows": self.follows,
        }


class ReceivedEvent(Event):
    """An event as stored: with the time the server ``received`` it."""

    received: UtcDatetime = Field(default_factory=now_utc)


_Prefixes = Annotated[list[str], Field(max_length=100)]
"""Each prefix is a text match of its own (and SQLite nests at most 1,000 in one query)."""


def label_matches(expected: str, value: str | None) -> bool:
    """Whether a label ``value`` matches one ``expected`` value: ``*`` is any value, a
    trailing ``*`` a prefix, a leading ``!`` negates.

    >>> label_matches("acme.*", "acme.order.1"), label_matches("!acme.*", "acme.x")
    (True, False)
    """
    if expected.startswith("!"):
        return not label_matches(expected[1:], value)
    if value is None:
        return False
    if expected == "*":
        return True
    if expected.endswith("*"):
        return value.startswith(expected[:-1])
    return value == expected


class ResourceSpecification(RootModel[dict[str, str | list[str]]]):
    """Labels to match: each label's value (or any of its values); a value ending in ``*``
    matches by prefix, ``*`` alone matches any value, a leading ``!`` negates.

    >>> ResourceSpecification({"prefect.resource.id": "acme.*"}).matches(
    ...     {"prefect.resource.id": "acme.switch"}
    ... )
    True
    """

    root: dict[str, str | list[str]] = Field(default_factory=dict)

    def items(self) -> list[tuple[str, list[str]]]:
        return [(k, [v] if isinstance(v, str) else list(v)) for k, v in self.root.items()]

    def matches_every_resource(self) -> bool:
        return not self.root

    def matches(self, resource: Mapping[str, Any]) -> bool:
        """Whether the resource (its labels) carries every label of the specification."""
        for label, expected in self.items():
            value = resource.get(label)
            if not any(label_matches(candidate, value) for candidate in expected):
                return False
        return True

    def includes(self, candidates: Iterable[Mapping[str, Any]]) -> bool:
        """Whether one of ``candidates`` matches (always, for an empty specification)."""
        return self.matches_every_resource() or any(self.matches(c) for c in candidates)


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
    """Events about any of these resource ids (or id prefixes), with these labels."""

    model_config = ConfigDict(extra="ignore")

    id: list[str] | None = None
    id_prefix: _Prefixes | None = None
    labels: ResourceSpecification | None = None


class EventRelatedFilter(BaseModel):
    """Events with a related resource of any of these ids, in any of these roles."""

    model_config = ConfigDict(extra="ignore")

    id: list[str] | None = None
    role: list[str] | None = None
    resources_in_roles: list[tuple[str, str]] | None = None
    labels: ResourceSpecification | None = None


class EventAnyResourceFilter(BaseModel):
    """Events whose resource or any related resource has one of these ids (or prefixes)."""

    model_config = ConfigDict(extra="ignore")

    id: list[str] | None = None
    id_prefix: _Prefixes | None = None
    labels: ResourceSpecification | None = None


class EventIDFilter(BaseModel):
    """Events with any of these ids."""

    model_config = ConfigDict(extra="ignore")

    id: list[uuid.UUID] | None = None


class EventOrder(enum.StrEnum):
    """Order of events by ``occurred``."""

    ASC = "ASC"
    DESC = "DESC"


class EventFilter(BaseModel):
    """Which events ``POST /api/events/filter`` returns (criteria Prefect has and praefect does
    not support yet, such as ``text``, are ignored)."""

    model_config = ConfigDict(extra="ignore")

    occurred: EventOccurredFilter = Field(default_factory=EventOccurredFilter)
    event: EventNameFilter | None = None
    resource: EventResourceFilter | None = None
    related: EventRelatedFilter | list[EventRelatedFilter] | None = None
    any_resource: EventAnyResourceFilter | list[EventAnyResourceFilter] | None = None
    id: EventIDFilter = Field(default_factory=EventIDFilter)
    order: EventOrder = EventOrder.DESC


class EventPage(BaseModel):
    """One page of events, how many match in all and the URL of the next page (or null)."""

    events: list[ReceivedEvent]
    total: int
    next_page: str | None = None


class Countable(enum.StrEnum):
    """What ``POST /api/events/count-by/{countable}`` counts events by."""

    day = "day"
    time = "time"
    event = "event"
    resource = "resource"


class TimeUnit(enum.StrEnum):
    """The width of a ``time`` bucket (times ``time_interval``)."""

    week = "week"
    day = "day"
    hour = "hour"
    minute = "minute"
    second = "second"


class EventCount(BaseModel):
    """How many events fall in one bucket of a count-by."""

    value: str
    label: str
    count: int
    start_time: _dt.datetime
    end_time: _dt.datetime
