"""The concurrency-limit methods of ``EmbeddedClient``, straight onto
``orchestration.concurrency``; kept in a mixin of their own."""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from praefect import orchestration
from praefect.utilities import slot_waiters

if TYPE_CHECKING:
    from praefect.schemas.concurrency import (
        ConcurrencyLimitCreate,
        ConcurrencySlotsRequest,
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )

__all__ = ["EmbeddedConcurrencyMethods"]

_c = orchestration.concurrency


def process_owner() -> str:
    """``host:pid`` of this process: who holds the slots it takes."""
    return f"{socket.gethostname()}:{os.getpid()}"


T = TypeVar("T")


def _freed(answer: T) -> T:
    """``answer``, after waking this process's waiters: slots may have come free."""
    slot_waiters.notify()
    return answer


class EmbeddedConcurrencyMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``_read`` and ``_write``)."""

    _read: Any
    _write: Any

    def create_global_concurrency_limit(
        self, concurrency_limit: GlobalConcurrencyLimitCreate
    ) -> dict[str, Any]:
        values = concurrency_limit.model_dump()
        return _freed(self._write(lambda conn: _c.create_limit(conn, values)))

    def read_global_concurrency_limit(self, id_or_name: str) -> dict[str, Any] | None:
        return self._read(lambda conn: _c.read_limit(conn, id_or_name))

    def read_global_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        return self._read(lambda conn: _c.read_limits(conn, limit, offset))

    def update_global_concurrency_limit(
        self, id_or_name: str, changes: GlobalConcurrencyLimitUpdate
    ) -> bool:
        fields = changes.model_dump(exclude_unset=True)
        return _freed(self._write(lambda conn: _c.update_limit(conn, id_or_name, fields)))

    def delete_global_concurrency_limit(self, id_or_name: str) -> bool:
        return _freed(self._write(lambda conn: _c.delete_limit(conn, id_or_name)))

    def read_concurrency_leases(self, id_or_name: str) -> list[dict[str, Any]] | None:
        return self._read(lambda conn: _c.read_leases(conn, id_or_name))

    def acquire_concurrency_slots(self, request: ConcurrencySlotsRequest) -> dict[str, Any]:
        values = request.model_dump()
        owner = request.owner or process_owner()
        return self._write(lambda conn: _c.acquire(conn, values, owner))

    def release_concurrency_lease(self, lease_id: uuid.UUID) -> bool:
        return _freed(self._write(lambda conn: _c.release_lease(conn, lease_id)))

    def renew_concurrency_lease(self, lease_id: uuid.UUID, lease_duration: float) -> bool:
        return self._write(lambda conn: _c.renew_lease(conn, lease_id, lease_duration))

    def release_concurrency_slots(
        self, names: list[str], slots: int, occupancy_seconds: float | None = None
    ) -> list[dict[str, Any]]:
        return _freed(
            self._write(lambda conn: _c.release_slots(conn, names, slots, occupancy_seconds))
        )

    def release_tag_concurrency_slots(
        self, tags: list[str], task_run_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        return _freed(self._write(lambda conn: _c.release_tag_slots(conn, tags, task_run_id)))

    def create_tag_concurrency_limit(
        self, concurrency_limit: ConcurrencyLimitCreate
    ) -> dict[str, Any]:
        tag, size = concurrency_limit.tag, concurrency_limit.concurrency_limit
        return _freed(self._write(lambda conn: _c.create_tag_limit(conn, tag, size)))

    def read_tag_concurrency_limit(self, tag: str) -> dict[str, Any] | None:
        return self._read(lambda conn: _c.read_tag_limit(conn, tag))

    def read_tag_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        return self._read(lambda conn: _c.read_tag_limits(conn, limit, offset))

    def reset_tag_concurrency_limit(
        self, tag: str, slot_override: list[uuid.UUID] | None = None
    ) -> bool:
        return _freed(self._write(lambda conn: _c.reset_tag_limit(conn, tag, slot_override)))

    def delete_tag_concurrency_limit(self, tag: str) -> bool:
        return _freed(self._write(lambda conn: _c.delete_tag_limit(conn, tag)))
