"""The automation methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over
Prefect's ``/automations`` routes)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.client.http_rows import query_body

if TYPE_CHECKING:
    from praefect.schemas.automations import AutomationCore, AutomationCriteria, AutomationQuery

__all__ = ["HttpAutomationMethods"]


def _quiet(call: Any) -> bool:
    try:
        call()
    except exceptions.ObjectNotFound:
        return False
    return True


def _body(automation: AutomationCore) -> dict[str, Any]:
    return automation.model_dump(mode="json")


class HttpAutomationMethods:
    """Mixed into ``HttpClient`` (which provides ``_call`` and ``_filter_all``)."""

    _call: Any
    _filter_all: Any

    def create_automation(self, automation: AutomationCore) -> dict[str, Any]:
        """Create an automation; ``ValueError`` naming an action's missing deployment."""
        data: dict[str, Any] = self._call("POST", "/automations/", _body(automation))
        return data

    def read_automation(self, automation_id: uuid.UUID) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self._call(
            "GET", f"/automations/{automation_id}", missing=None
        )
        return data

    def read_automations(self, query: AutomationQuery | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._filter_all("/automations/filter", query)
        return rows

    def count_automations(self, criteria: AutomationCriteria | None = None) -> int:
        return int(self._call("POST", "/automations/count", query_body(criteria)))

    def update_automation(self, automation_id: uuid.UUID, automation: AutomationCore) -> bool:
        path = f"/automations/{automation_id}"
        return _quiet(lambda: self._call("PUT", path, _body(automation)))

    def set_automation_enabled(self, automation_id: uuid.UUID, enabled: bool) -> bool:
        path = f"/automations/{automation_id}"
        return _quiet(lambda: self._call("PATCH", path, {"enabled": enabled}))

    def delete_automation(self, automation_id: uuid.UUID) -> bool:
        return _quiet(lambda: self._call("DELETE", f"/automations/{automation_id}"))

    def read_automations_related_to(self, resource_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", f"/automations/related-to/{resource_id}")
        return rows

    def delete_automations_owned_by(self, resource_id: str) -> None:
        self._call("DELETE", f"/automations/owned-by/{resource_id}")
