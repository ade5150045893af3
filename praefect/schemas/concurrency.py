"""Wire models of concurrency limits (Prefect 3's names and fields).

Global limits (``/api/v2/concurrency_limits``): ``GlobalConcurrencyLimitCreate`` /
``ConcurrencyLimitV2Create``, ``GlobalConcurrencyLimitUpdate`` / ``ConcurrencyLimitV2Update``,
read as ``GlobalConcurrencyLimitResponse``; slots are taken with ``ConcurrencySlotsRequest``
(``/increment``, ``/increment-with-lease``) and given back with ``ConcurrencySlotsRelease``
(``/decrement``) or by lease. Tag limits (``/api/concurrency_limits``): ``ConcurrencyLimitCreate``
read as ``ConcurrencyLimit``.

>>> GlobalConcurrencyLimitCreate(name="db", limit=2).active
True
>>> GlobalConcurrencyLimitCreate(name="db", limit=-1)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for GlobalConcurrencyLimitCreate
limit
  Input should be greater than or equal to 0 ...
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "ConcurrencyLeaseHolder",
    "ConcurrencyLeaseRenew",
    "ConcurrencyLimit",
    "ConcurrencyLimitCreate",
    "ConcurrencyLimitV2Create",
    "ConcurrencyLimitV2Update",
    "ConcurrencyLimitWithLeaseResponse",
    "ConcurrencySlotsRelease",
    "ConcurrencySlotsRequest",
    "GlobalConcurrencyLimit",
    "GlobalConcurrencyLimitCreate",
    "GlobalConcurrencyLimitResponse",
    "GlobalConcurrencyLimitUpdate",
    "MinimalConcurrencyLimitResponse",
    "TagSlotsRelease",
    "TagSlotsRequest",
]

MAX_LEASE_SECONDS = 86_400.0
"""The longest lease a holder may ask for (Prefect's)."""
MAX_SLOTS_AT_ONCE = 10_000
"""The most slots one request takes or sets (each slot is a row); limits may be larger."""

_BANNED = frozenset("/%&><")


def _name(value: str) -> str:
    banned = sorted(_BANNED.intersection(value))
    if banned:
        raise ValueError(f"name must not contain {' '.join(banned)}")
    return value


Name = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_name)]
SlotCount = Annotated[int, Field(strict=True, ge=0, le=2**31 - 1)]
"""A number of slots: a whole number, 0 or more (``2.5``, ``"2"`` and ``-1`` are refused)."""
LeaseSeconds = Annotated[float, Field(gt=0, le=MAX_LEASE_SECONDS, allow_inf_nan=False)]
TakenSlots = Annotated[int, Field(strict=True, ge=0, le=MAX_SLOTS_AT_ONCE)]
"""Slots taken by one request: each is a row, so at most ``MAX_SLOTS_AT_ONCE``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- global limits -------------------------------------------------------------------------------
class GlobalConcurrencyLimitCreate(_Model):
    """A new global limit: at most ``limit`` slots taken at once (0 blocks every taker)."""

    name: Name
    limit: SlotCount
    active: bool = True
    """An inactive limit limits nothing: its takers run at once."""
    active_slots: TakenSlots = 0
    denied_slots: SlotCount = 0
    slot_decay_per_second: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    """For rate limits: how many taken slots free themselves each second."""


ConcurrencyLimitV2Create = GlobalConcurrencyLimitCreate


class GlobalConcurrencyLimitUpdate(_Model):
    """The fields of a global limit to change (those left out stay)."""

    name: Name | None = None
    limit: SlotCount | None = None
    active: bool | None = None
    active_slots: TakenSlots | None = None
    """Setting it frees every slot taken; above 0, that many unowned slots are then taken."""
    denied_slots: SlotCount | None = None
    slot_decay_per_second: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


ConcurrencyLimitV2Update = GlobalConcurrencyLimitUpdate


class GlobalConcurrencyLimitResponse(_Model):
    """A global limit as read: ``active_slots`` is the count of its live leases' slots."""

    id: uuid.UUID
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None
    name: str
    limit: int
    active: bool = True
    active_slots: int = 0
    denied_slots: int = 0
    slot_decay_per_second: float = 0.0
    avg_slot_occupancy_seconds: float = 2.0


class GlobalConcurrencyLimit(GlobalConcurrencyLimitResponse):
    """Prefect's ``prefect.client.schemas.objects.GlobalConcurrencyLimit``."""


class MinimalConcurrencyLimitResponse(_Model):
    """A limit a request took slots of."""

    id: uuid.UUID
    name: str
    limit: int


class ConcurrencyLimitWithLeaseResponse(_Model):
    """The lease that holds the slots taken, and the limits they were taken of."""

    lease_id: uuid.UUID
    limits: list[MinimalConcurrencyLimitResponse]


class ConcurrencyLeaseHolder(_Model):
    """Who holds a lease: a flow run, a task run or a deployment."""

    type: Literal["flow_run", "task_run", "deployment"]
    id: uuid.UUID


# -- taking and giving back slots ----------------------------------------------------------------
class ConcurrencySlotsRequest(_Model):
    """Take ``slots`` of each limit in ``names`` at once, or none: the body of
    ``/increment`` and ``/increment-with-lease``. Names with no limit, and inactive limits, are
    left out of the answer (they limit nothing)."""

    names: Annotated[list[Name], Field(min_length=1)]
    slots: Annotated[int, Field(strict=True, gt=0, le=MAX_SLOTS_AT_ONCE)]
    mode: Literal["concurrency", "rate_limit"] = "concurrency"
    lease_duration: LeaseSeconds = 300.0
    """Seconds the slots stay taken unless the holder renews the lease (Prefect asks at least
    60; praefect takes any positive number, so tests can use short leases)."""
    holder: ConcurrencyLeaseHolder | None = None
    create_if_missing: bool | None = None
    """Prefect's (deprecated): ignored; see ``create_limit``."""
    create_limit: SlotCount | None = None
    """praefect only: a name with no limit gets one of this size first (per-key limits)."""
    owner: Annotated[str, Field(max_length=255)] | None = None
    """praefect only: the process taking the slots (``host:pid``), shown beside its holder."""


class ConcurrencySlotsRelease(_Model):
    """Give back ``slots`` of each limit in ``names`` (the body of ``/decrement``), taken
    without a lease; ``occupancy_seconds`` feeds the limit's average occupancy."""

    names: Annotated[list[Name], Field(min_length=1)]
    slots: Annotated[int, Field(strict=True, gt=0, le=2**31 - 1)]
    occupancy_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    create_if_missing: bool | None = None


class ConcurrencyLeaseRenew(_Model):
    """Keep a lease's slots for ``lease_duration`` more seconds from now."""

    lease_duration: LeaseSeconds = 300.0


# -- tag limits (v1) -----------------------------------------------------------------------------
class ConcurrencyLimitCreate(_Model):
    """A tag limit: at most ``concurrency_limit`` task runs with ``tag`` run at once."""

    tag: Name
    concurrency_limit: SlotCount


class ConcurrencyLimit(_Model):
    """A tag limit as read: ``active_slots`` are the ids of the task runs holding its slots."""

    id: uuid.UUID
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None
    tag: str
    concurrency_limit: int
    active_slots: list[uuid.UUID] = Field(default_factory=list)


class TagSlotsRequest(_Model):
    """A task run takes a slot of the limit of each of its tags (``/concurrency_limits/increment``)."""

    names: list[Name]
    task_run_id: uuid.UUID


class TagSlotsRelease(TagSlotsRequest):
    """A task run gives back its slots (``/concurrency_limits/decrement``)."""

    occupancy_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
