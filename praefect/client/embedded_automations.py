"""The automation methods of ``EmbeddedClient`` (straight onto
``praefect.orchestration.automations``); ``HttpClient`` has the same calls over the REST API
(``praefect.client.http_automations``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from praefect import orchestration

if TYPE_CHECKING:
    from praefect.schemas.automations import AutomationCore, AutomationCriteria, AutomationQuery

__all__ = ["EmbeddedAutomationMethods"]


class EmbeddedAutomationMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``_read`` and ``_write``)."""

    _read: Callable[[Callable[[Connection], Any]], Any]
    _write: Callable[[Callable[[Connection], Any]], Any]

    def create_automation(self, automation: AutomationCore) -> dict[str, Any]:
        """Create an automation; ``ValueError`` naming an action's missing deployment."""
        return self._write(lambda conn: orchestration.automations.create(conn, automation))

    def read_automation(self, automation_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.automations.read(conn, automation_id))

    def read_automations(self, query: AutomationQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: orchestration.automations.read_many(conn, query))

    def count_automations(self, criteria: AutomationCriteria | None = None) -> int:
        return self._read(lambda conn: orchestration.automations.count(conn, criteria))

    def update_automation(self, automation_id: uuid.UUID, automation: AutomationCore) -> bool:
        return self._write(
            lambda conn: orchestration.automations.update(conn, automation_id, automation)
        )

    def set_automation_enabled(self, automation_id: uuid.UUID, enabled: bool) -> bool:
        return self._write(
            lambda conn: orchestration.automations.set_enabled(conn, automation_id, enabled)
        )

    def delete_automation(self, automation_id: uuid.UUID) -> bool:
        return self._write(lambda conn: orchestration.automations.delete(conn, automation_id))

    def read_automations_related_to(self, resource_id: str) -> list[dict[str, Any]]:
        return self._read(lambda conn: orchestration.automations.related_to(conn, resource_id))

    def delete_automations_owned_by(self, resource_id: str) -> None:
        self._write(lambda conn: orchestration.automations.delete_owned_by(conn, resource_id))
