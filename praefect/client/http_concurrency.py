"""The concurrency-limit methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over
Prefect's ``/v2/concurrency_limits`` and ``/concurrency_limits`` routes), kept in a mixin of
their own."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from praefect import exceptions
from praefect.client.http_rows import row
from praefect.utilities import slot_waiters

if TYPE_CHECKING:
    from praefect.schemas.concurrency import (
        ConcurrencyLimitCreate,
        ConcurrencySlotsRequest,
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )

__all__ = ["HttpConcurrencyMethods"]

_V2 = "/v2/concurrency_limits"


def _q(name: str) -> str:
    return quote(name, safe="")


def _minimal(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "id": uuid.UUID(item["id"])}


T = TypeVar("T")


def _freed(answer: T) -> T:
    """``answer``, after waking this process's waiters: slots may have come free."""
    slot_waiters.notify()
    return answer


class HttpConcurrencyMethods:
    """Mixed into ``HttpClient`` (which provides ``_call`` and ``_done``)."""

    _call: Any
    _done: Any

    def create_global_concurrency_limit(
        self, concurrency_limit: GlobalConcurrencyLimitCreate
    ) -> dict[str, Any]:
        body = concurrency_limit.model_dump(mode="json")
        return _freed(row(self._call("POST", f"{_V2}/", body)))

    def read_global_concurrency_limit(self, id_or_name: str) -> dict[str, Any] | None:
        data = self._call("GET", f"{_V2}/{_q(str(id_or_name))}", missing=None)
        return None if data is None else row(data)

    def read_global_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        return [row(x) for x in self._pages(f"{_V2}/filter", limit, offset)]

    def _pages(self, path: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            want = 1000 if limit is None else min(1000, limit - len(rows))
            page = self._call("POST", path, {"limit": want, "offset": offset + len(rows)})
            rows.extend(page)
            if len(page) < want or (limit is not None and len(rows) >= limit):
                return rows

    def update_global_concurrency_limit(
        self, id_or_name: str, changes: GlobalConcurrencyLimitUpdate
    ) -> bool:
        body = changes.model_dump(mode="json", exclude_unset=True)
        return _freed(bool(self._done("PATCH", f"{_V2}/{_q(str(id_or_name))}", body)))

    def delete_global_concurrency_limit(self, id_or_name: str) -> bool:
        return _freed(bool(self._done("DELETE", f"{_V2}/{_q(str(id_or_name))}")))

    def read_concurrency_leases(self, id_or_name: str) -> list[dict[str, Any]] | None:
        data = self._call("GET", f"{_V2}/{_q(str(id_or_name))}/leases", missing=None)
        if data is None:
            return None
        for lease in data:
            lease["lease_id"] = uuid.UUID(lease["lease_id"])
            if lease["holder_id"]:
                lease["holder_id"] = uuid.UUID(lease["holder_id"])
            for key in ("acquired", "expires"):
                lease[key] = _dt.datetime.fromisoformat(lease[key].replace("Z", "+00:00"))
        return list(data)

    def acquire_concurrency_slots(self, request: ConcurrencySlotsRequest) -> dict[str, Any]:
        body = request.model_dump(mode="json", exclude_none=True)
        path = f"{_V2}/increment-with-lease"
        data = self._call("POST", path, body, on_status={423: _locked, 422: _refused})
        if data.get("lease_id") is None:
            return dict(data)
        limits = [_minimal(x) for x in data["limits"]]
        return {
            "lease_id": uuid.UUID(data["lease_id"]),
            "limits": limits,
            "blocked": [],
            "retry_after": None,
        }

    def release_concurrency_lease(self, lease_id: uuid.UUID) -> bool:
        self._call("POST", f"{_V2}/decrement-with-lease", {"lease_id": str(lease_id)})
        return _freed(True)

    def renew_concurrency_lease(self, lease_id: uuid.UUID, lease_duration: float) -> bool:
        path = f"{_V2}/leases/{lease_id}/renew"
        body = {"lease_duration": lease_duration}
        gone = {410: _false, 404: _false}
        return self._call("POST", path, body, budget=5.0, on_status=gone) is not False

    def release_concurrency_slots(
        self, names: list[str], slots: int, occupancy_seconds: float | None = None
    ) -> list[dict[str, Any]]:
        body = {"names": names, "slots": slots, "occupancy_seconds": occupancy_seconds}
        return _freed([_minimal(x) for x in self._call("POST", f"{_V2}/decrement", body)])

    def release_tag_concurrency_slots(
        self, tags: list[str], task_run_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        body = {"names": tags, "task_run_id": str(task_run_id)}
        rows = self._call("POST", "/concurrency_limits/decrement", body)
        return _freed([_minimal(x) for x in rows])

    def create_tag_concurrency_limit(
        self, concurrency_limit: ConcurrencyLimitCreate
    ) -> dict[str, Any]:
        body = concurrency_limit.model_dump(mode="json")
        return _freed(_tag_row(self._call("POST", "/concurrency_limits/", body)))

    def read_tag_concurrency_limit(self, tag: str) -> dict[str, Any] | None:
        data = self._call("GET", f"/concurrency_limits/tag/{_q(tag)}", missing=None)
        return None if data is None else _tag_row(data)

    def read_tag_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        return [_tag_row(x) for x in self._pages("/concurrency_limits/filter", limit, offset)]

    def reset_tag_concurrency_limit(
        self, tag: str, slot_override: list[uuid.UUID] | None = None
    ) -> bool:
        override = None if slot_override is None else [str(x) for x in slot_override]
        path = f"/concurrency_limits/tag/{_q(tag)}/reset"
        return _freed(bool(self._done("POST", path, {"slot_override": override})))

    def delete_tag_concurrency_limit(self, tag: str) -> bool:
        return _freed(bool(self._done("DELETE", f"/concurrency_limits/tag/{_q(tag)}")))


def _false(response: Any) -> bool:
    return False


def _locked(response: Any) -> dict[str, Any]:
    """A 423's answer: the full limits, and when to ask again."""
    after = response.headers.get("retry-after")
    return {
        "lease_id": None,
        "limits": [],
        "blocked": [_minimal(x) for x in response.json().get("blocked", [])],
        "retry_after": float(after) if after else None,
    }


def _refused(response: Any) -> Any:
    data = response.json()
    if "names" in data:  # more slots than a limit has
        raise exceptions.ConcurrencySlotAcquisitionError(data["detail"], names=data["names"])
    raise ValueError(f"The praefect server refused the request: {data.get('detail')}")


def _tag_row(data: dict[str, Any]) -> dict[str, Any]:
    limit = row(data)
    limit["active_slots"] = [uuid.UUID(x) for x in data.get("active_slots", [])]
    return limit
