"""Automations on the wire: Prefect 3's triggers (``EventTrigger``, ``CompoundTrigger``,
``SequenceTrigger``), ``AutomationCore`` / ``Automation`` and the bodies of
``/api/automations/*``, field names to the letter.

>>> trigger = EventTrigger(expect={"acme.thing.happened"}, match={"prefect.resource.id": "acme.*"})
>>> trigger.posture.value, trigger.threshold, trigger.within.total_seconds()
('Reactive', 1, 0.0)
>>> trigger.match.matches({"prefect.resource.id": "acme.switch"})
True
>>> EventTrigger(posture="Proactive", expect={"x"}).within.total_seconds()
10.0
"""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from praefect.schemas.actions import UtcDatetime
from praefect.schemas.automation_actions import ActionTypes, Seconds
from praefect.schemas.events import ResourceSpecification

__all__ = [
    "Automation",
    "AutomationCore",
    "AutomationCriteria",
    "AutomationFilter",
    "AutomationFilterCreated",
    "AutomationFilterId",
    "AutomationFilterName",
    "AutomationFilterTags",
    "AutomationPartialUpdate",
    "AutomationQuery",
    "AutomationSort",
    "CompositeTrigger",
    "CompoundTrigger",
    "EventTrigger",
    "Posture",
    "ResourceSpecification",
    "ResourceTrigger",
    "SequenceTrigger",
    "Trigger",
    "TriggerTypes",
]


class Posture(enum.StrEnum):
    """Reactive triggers answer events that happen; proactive ones, events that do not."""

    Reactive = "Reactive"
    Proactive = "Proactive"
    Metric = "Metric"


class Trigger(BaseModel):
    """When an automation fires."""

    model_config = ConfigDict(extra="ignore")

    type: str

    def describe_for_cli(self, indent: int = 0) -> str:
        return "  " * indent + self.type


def _specification(value: Any) -> Any:
    return ResourceSpecification.model_validate(value) if isinstance(value, dict) else value


class ResourceTrigger(Trigger):
    """A trigger about resources carrying certain labels."""

    match: ResourceSpecification = Field(default_factory=ResourceSpecification)
    match_related: ResourceSpecification | list[ResourceSpecification] = Field(
        default_factory=ResourceSpecification
    )

    @field_validator("match_related", mode="before")
    @classmethod
    def _related(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_specification(item) for item in value]
        return _specification(value)

    def related_specifications(self) -> list[ResourceSpecification]:
        specs = self.match_related
        return [s for s in (specs if isinstance(specs, list) else [specs]) if s.root]


class EventTrigger(ResourceTrigger):
    """Fires on the presence (``Reactive``) or absence (``Proactive``) of ``threshold``
    events named ``expect`` within ``within``, after an ``after`` event when given, counted
    separately for each value of the ``for_each`` labels. Names may end in ``*``."""

    type: Literal["event"] = "event"
    after: set[str] = Field(default_factory=set)
    expect: set[str] = Field(default_factory=set)
    for_each: set[str] = Field(default_factory=set)
    posture: Literal[Posture.Reactive, Posture.Proactive] = Posture.Reactive
    threshold: int = Field(default=1, ge=1)
    within: Seconds = Field(default_factory=lambda: _dt.timedelta(0))

    @model_validator(mode="before")
    @classmethod
    def _proactive_window(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "within" in data and data["within"] is None:
            raise ValueError("`within` should be a valid timedelta")
        if data.get("posture") in (Posture.Proactive, "Proactive"):
            within = data.get("within")
            seconds = within.total_seconds() if isinstance(within, _dt.timedelta) else within or 0
            if isinstance(seconds, int | float) and seconds == 0:
                data = {**data, "within": 10.0}
            elif isinstance(seconds, int | float) and seconds < 10:
                raise ValueError(
                    "`within` for Proactive triggers must be greater than or equal to 10 seconds"
                )
        return data

    @model_validator(mode="after")
    def _non_negative(self) -> Self:
        if self.within < _dt.timedelta(0):
            raise ValueError("`within` must not be negative")
        return self

    def describe_for_cli(self, indent: int = 0) -> str:
        expect = ", ".join(sorted(self.expect)) or "any event"
        if self.posture == Posture.Reactive:
            text = f"Reactive: expecting {self.threshold} of {expect}"
        else:
            text = f"Proactive: expecting {self.threshold} {expect} within {self.within}"
        return "  " * indent + text


class CompositeTrigger(Trigger):
    """Fires when its ``triggers`` have fired (within ``within``, when given)."""

    type: Literal["compound", "sequence"]
    triggers: list[TriggerTypes]
    within: Seconds | None = None


class CompoundTrigger(CompositeTrigger):
    """Fires when ``require`` of its triggers (a number, ``"any"`` or ``"all"``) have fired."""

    type: Literal["compound"] = "compound"
    require: int | Literal["any", "all"]

    @model_validator(mode="after")
    def _require(self) -> Self:
        if isinstance(self.require, int):
            if self.require < 1:
                raise ValueError("require must be at least 1")
            if self.require > len(self.triggers):
                raise ValueError("require must be less than or equal to the number of triggers")
        return self

    def required(self) -> int:
        """How many of the triggers must fire."""
        if self.require == "any":
            return 1
        if self.require == "all":
            return len(self.triggers)
        return self.require

    def describe_for_cli(self, indent: int = 0) -> str:
        lines = [f"{str(self.require).capitalize()} of:"]
        lines += [t.describe_for_cli(indent + 1) for t in self.triggers]
        return "\n".join("  " * indent + line if i == 0 else line for i, line in enumerate(lines))


class SequenceTrigger(CompositeTrigger):
    """Fires when its triggers have fired in their order."""

    type: Literal["sequence"] = "sequence"

    def describe_for_cli(self, indent: int = 0) -> str:
        lines = ["In this order:"] + [t.describe_for_cli(indent + 1) for t in self.triggers]
        return "\n".join("  " * indent + line if i == 0 else line for i, line in enumerate(lines))


def _trigger_type(value: Any) -> str:
    if isinstance(value, dict):
        if "type" in value:
            return str(value["type"])
        if "triggers" in value:
            return "compound" if "require" in value else "sequence"
        return "event"
    return str(getattr(value, "type", "event"))


TriggerTypes = Annotated[
    Annotated[EventTrigger, Tag("event")]
    | Annotated[CompoundTrigger, Tag("compound")]
    | Annotated[SequenceTrigger, Tag("sequence")],
    Discriminator(_trigger_type),
]
"""Any trigger a user may create, told apart by ``type``."""

CompoundTrigger.model_rebuild()
SequenceTrigger.model_rebuild()


class AutomationCore(BaseModel):
    """An automation as created (the body of ``POST /api/automations/``): when its
    ``trigger`` fires, its ``actions`` run (``actions_on_trigger`` and ``actions_on_resolve``
    when it enters the triggered or resolved state)."""

    model_config = ConfigDict(extra="ignore", ser_json_timedelta="float")

    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)
    trigger: TriggerTypes
    actions: list[ActionTypes]
    actions_on_trigger: list[ActionTypes] = Field(default_factory=list)
    actions_on_resolve: list[ActionTypes] = Field(default_factory=list)
    owner_resource: str | None = None

    def all_actions(self) -> list[Any]:
        return [*self.actions, *self.actions_on_trigger, *self.actions_on_resolve]


class Automation(AutomationCore):
    """An automation as stored (``GET /api/automations/{id}``)."""

    id: uuid.UUID
    created: UtcDatetime | None = None
    updated: UtcDatetime | None = None


class AutomationPartialUpdate(BaseModel):
    """The body of ``PATCH /api/automations/{id}``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True


class AutomationSort(enum.StrEnum):
    """Orders of ``POST /api/automations/filter``."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


class AutomationFilterId(BaseModel):
    any_: list[uuid.UUID] | None = None


class AutomationFilterName(BaseModel):
    any_: list[str] | None = None


class AutomationFilterCreated(BaseModel):
    before_: UtcDatetime | None = None


class AutomationFilterTags(BaseModel):
    all_: list[str] | None = None
    any_: list[str] | None = None
    is_null_: bool | None = None


class AutomationFilter(BaseModel):
    """Which automations (every criterion given must hold)."""

    model_config = ConfigDict(extra="ignore")

    id: AutomationFilterId | None = None
    name: AutomationFilterName | None = None
    created: AutomationFilterCreated | None = None
    tags: AutomationFilterTags | None = None


class AutomationCriteria(BaseModel):
    """Which automations (the body of ``POST /api/automations/count``)."""

    model_config = ConfigDict(extra="ignore")

    automations: AutomationFilter | None = None


class AutomationQuery(AutomationCriteria):
    """A page of automations (the body of ``POST /api/automations/filter``), by name unless
    ``sort``."""

    sort: AutomationSort = AutomationSort.NAME_ASC
    limit: Annotated[int | None, Field(ge=0)] = None
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0

    @model_validator(mode="before")
    @classmethod
    def _null_is_the_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in ("sort", "offset") and v is None)}
        return data
