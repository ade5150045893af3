"""The concurrency-limit methods of the user-facing clients (``SyncPrefectClient``, and awaited
on ``PrefectClient``): Prefect 3's names and signatures, returning
``praefect.schemas.concurrency`` models."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from praefect import exceptions
from praefect.schemas import concurrency as cs

__all__ = ["ConcurrencyClientMethods"]

_UNLEASED_SECONDS = 3600.0  # as orchestration.concurrency.UNLEASED_SECONDS


def _fields(value: Any) -> dict[str, Any]:
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_unset=True)
    return dict(value)


def _missing(what: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Concurrency limit {what!r} not found.", name=what)


class ConcurrencyClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``, the orchestration
    client)."""

    _client: Any

    # -- global limits --------------------------------------------------------------------
    def create_global_concurrency_limit(self, concurrency_limit: Any) -> uuid.UUID:
        """Create a global limit (a ``GlobalConcurrencyLimitCreate`` or a mapping); its id."""
        body = cs.GlobalConcurrencyLimitCreate.model_validate(_fields(concurrency_limit))
        return uuid.UUID(str(self._client.create_global_concurrency_limit(body)["id"]))

    def read_global_concurrency_limit_by_name(self, name: str) -> cs.GlobalConcurrencyLimitResponse:
        row = self._client.read_global_concurrency_limit(name)
        if row is None:
            raise _missing(name)
        return cs.GlobalConcurrencyLimitResponse.model_validate(row)

    def read_global_concurrency_limits(
        self, limit: int = 10, offset: int = 0
    ) -> list[cs.GlobalConcurrencyLimitResponse]:
        rows = self._client.read_global_concurrency_limits(limit, offset)
        return [cs.GlobalConcurrencyLimitResponse.model_validate(row) for row in rows]

    def update_global_concurrency_limit(self, name: str, concurrency_limit: Any) -> None:
        """Change a global limit (a ``GlobalConcurrencyLimitUpdate`` or a mapping)."""
        changes = cs.GlobalConcurrencyLimitUpdate.model_validate(_fields(concurrency_limit))
        if not self._client.update_global_concurrency_limit(name, changes):
            raise _missing(name)

    def delete_global_concurrency_limit_by_name(self, name: str) -> None:
        if not self._client.delete_global_concurrency_limit(name):
            raise _missing(name)

    def upsert_global_concurrency_limit_by_name(
        self, name: str, limit: int, slot_decay_per_second: float | None = None
    ) -> None:
        """Create the limit ``name``, or set the ``limit`` of the existing one."""
        changes: dict[str, Any] = {"limit": limit}
        if slot_decay_per_second is not None:
            changes["slot_decay_per_second"] = slot_decay_per_second
        update = cs.GlobalConcurrencyLimitUpdate.model_validate(changes)
        if not self._client.update_global_concurrency_limit(name, update):
            create = cs.GlobalConcurrencyLimitCreate.model_validate({"name": name, **changes})
            self._client.create_global_concurrency_limit(create)

    def read_concurrency_limit_holders(self, name: str) -> list[dict[str, Any]]:
        """praefect only: who holds the slots of the limit ``name`` (tag limits: ``tag:<tag>``),
        one dict per lease (``lease_id``, ``slots``, ``holder_type``, ``holder_id``,
        ``owner``, ``acquired``, ``expires``), oldest first."""
        leases = self._client.read_concurrency_leases(name)
        if leases is None:
            raise _missing(name)
        return list(leases)

    def increment_concurrency_slots_with_lease(
        self,
        names: list[str],
        slots: int,
        mode: Literal["concurrency", "rate_limit"] = "concurrency",
        lease_duration: float = 300,
        holder: Any = None,
    ) -> cs.ConcurrencyLimitWithLeaseResponse:
        """Take ``slots`` of each limit at once under a lease; raises
        ``ConcurrencySlotAcquisitionError`` when they are not free now."""
        request = cs.ConcurrencySlotsRequest(
            names=names, slots=slots, mode=mode, lease_duration=lease_duration, holder=holder
        )
        answer = self._client.acquire_concurrency_slots(request)
        if answer["lease_id"] is None:
            full = [b["name"] for b in answer["blocked"]]
            raise exceptions.ConcurrencySlotAcquisitionError(
                f"No free slot now in the concurrency limit(s) {', '.join(full)}.", names=full
            )
        return cs.ConcurrencyLimitWithLeaseResponse.model_validate(answer)

    def increment_concurrency_slots(
        self,
        names: list[str],
        slots: int,
        mode: Literal["concurrency", "rate_limit"] = "concurrency",
    ) -> list[cs.MinimalConcurrencyLimitResponse]:
        """Take ``slots`` of each limit without a lease (give them back with
        ``release_concurrency_slots``; they expire after an hour otherwise); raises
        ``ConcurrencySlotAcquisitionError`` when they are not free now."""
        request = cs.ConcurrencySlotsRequest(
            names=names, slots=slots, mode=mode, lease_duration=_UNLEASED_SECONDS
        )
        return self._limits_of(self._client.acquire_concurrency_slots(request))

    def release_concurrency_slots(
        self, names: list[str], slots: int, occupancy_seconds: float
    ) -> list[cs.MinimalConcurrencyLimitResponse]:
        rows = self._client.release_concurrency_slots(list(names), slots, occupancy_seconds)
        return [cs.MinimalConcurrencyLimitResponse.model_validate(row) for row in rows]

    def increment_v1_concurrency_slots(
        self, names: list[str], task_run_id: uuid.UUID
    ) -> list[cs.MinimalConcurrencyLimitResponse]:
        """The task run ``task_run_id`` takes a slot of the limit of each tag in ``names``."""
        holder = cs.ConcurrencyLeaseHolder(type="task_run", id=task_run_id)
        request = cs.ConcurrencySlotsRequest(
            names=[f"tag:{tag}" for tag in names],
            slots=1,
            lease_duration=_UNLEASED_SECONDS,
            holder=holder,
        )
        return self._limits_of(self._client.acquire_concurrency_slots(request))

    def decrement_v1_concurrency_slots(
        self, names: list[str], task_run_id: uuid.UUID, occupancy_seconds: float
    ) -> list[cs.MinimalConcurrencyLimitResponse]:
        rows = self._client.release_tag_concurrency_slots(list(names), task_run_id)
        return [cs.MinimalConcurrencyLimitResponse.model_validate(row) for row in rows]

    def _limits_of(self, answer: dict[str, Any]) -> list[cs.MinimalConcurrencyLimitResponse]:
        if answer["lease_id"] is None:
            full = [b["name"] for b in answer["blocked"]]
            raise exceptions.ConcurrencySlotAcquisitionError(
                f"No free slot now in the concurrency limit(s) {', '.join(full)}.", names=full
            )
        return [cs.MinimalConcurrencyLimitResponse.model_validate(x) for x in answer["limits"]]

    def release_concurrency_slots_with_lease(self, lease_id: uuid.UUID) -> None:
        self._client.release_concurrency_lease(uuid.UUID(str(lease_id)))

    def renew_concurrency_lease(self, lease_id: uuid.UUID, lease_duration: float) -> None:
        """Keep a lease ``lease_duration`` seconds more; ``ObjectNotFound`` when it expired."""
        if not self._client.renew_concurrency_lease(uuid.UUID(str(lease_id)), lease_duration):
            raise exceptions.ObjectNotFound(f"Lease {lease_id} has expired or was released.")

    # -- tag limits -----------------------------------------------------------------------
    def create_concurrency_limit(self, tag: str, concurrency_limit: int) -> uuid.UUID:
        """Limit the task runs with ``tag`` running at once; the limit's id."""
        body = cs.ConcurrencyLimitCreate(tag=tag, concurrency_limit=concurrency_limit)
        return uuid.UUID(str(self._client.create_tag_concurrency_limit(body)["id"]))

    def read_concurrency_limit_by_tag(self, tag: str) -> cs.ConcurrencyLimit:
        row = self._client.read_tag_concurrency_limit(tag)
        if row is None:
            raise _missing(tag)
        return cs.ConcurrencyLimit.model_validate(row)

    def read_concurrency_limits(self, limit: int, offset: int) -> list[cs.ConcurrencyLimit]:
        rows = self._client.read_tag_concurrency_limits(limit, offset)
        return [cs.ConcurrencyLimit.model_validate(row) for row in rows]

    def reset_concurrency_limit_by_tag(
        self, tag: str, slot_override: list[uuid.UUID | str] | None = None
    ) -> None:
        override = None if slot_override is None else [uuid.UUID(str(x)) for x in slot_override]
        if not self._client.reset_tag_concurrency_limit(tag, override):
            raise _missing(tag)

    def delete_concurrency_limit_by_tag(self, tag: str) -> None:
        if not self._client.delete_tag_concurrency_limit(tag):
            raise _missing(tag)
