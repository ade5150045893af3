"""The automation methods of the user-facing clients (``SyncPrefectClient``, and awaited on
``PrefectClient``): Prefect 3's names and signatures, returning
``praefect.schemas.automations.Automation`` models."""

from __future__ import annotations

import uuid
from typing import Any

from praefect.schemas import automations as _schemas

__all__ = ["AutomationClientMethods"]


def _core(automation: Any) -> _schemas.AutomationCore:
    if isinstance(automation, _schemas.AutomationCore):
        return _schemas.AutomationCore.model_validate(automation.model_dump(exclude={"id"}))
    return _schemas.AutomationCore.model_validate(automation)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class AutomationClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``, the orchestration
    client)."""

    _client: Any

    def create_automation(self, automation: Any) -> uuid.UUID:
        """Create an automation (an ``AutomationCore`` or a mapping); return its id.
        ``ValueError`` when an action names a deployment that does not exist."""
        row = self._client.create_automation(_core(automation))
        return _uuid(row["id"])

    def read_automation(self, automation_id: uuid.UUID | str) -> _schemas.Automation | None:
        row = self._client.read_automation(_uuid(automation_id))
        return _schemas.Automation.model_validate(row) if row is not None else None

    def read_automations(self) -> list[_schemas.Automation]:
        return [_schemas.Automation.model_validate(r) for r in self._client.read_automations()]

    def read_automations_by_name(self, name: str) -> list[_schemas.Automation]:
        """The automations called ``name`` (names need not be unique)."""
        query = _schemas.AutomationQuery(
            automations=_schemas.AutomationFilter(name=_schemas.AutomationFilterName(any_=[name]))
        )
        rows = self._client.read_automations(query)
        return [_schemas.Automation.model_validate(row) for row in rows]

    def find_automation(self, id_or_name: str | uuid.UUID) -> _schemas.Automation | None:
        """The automation with this id, else the first one with this name, else None."""
        try:
            found = self.read_automation(_uuid(id_or_name))
        except ValueError:
            found = None
        if found is not None:
            return found
        named = self.read_automations_by_name(str(id_or_name))
        return named[0] if named else None

    def update_automation(self, automation_id: uuid.UUID, automation: Any) -> None:
        """Replace an automation (``ObjectNotFound`` when there is none)."""
        from praefect import exceptions

        if not self._client.update_automation(_uuid(automation_id), _core(automation)):
            raise exceptions.ObjectNotFound(
                f"Automation {automation_id} not found.", automation_id=automation_id
            )

    def delete_automation(self, automation_id: uuid.UUID) -> None:
        """Delete an automation (nothing happens when there is none, as in Prefect)."""
        self._client.delete_automation(_uuid(automation_id))

    def pause_automation(self, automation_id: uuid.UUID) -> None:
        """Disable an automation."""
        self._set_enabled(automation_id, False)

    def resume_automation(self, automation_id: uuid.UUID) -> None:
        """Enable an automation."""
        self._set_enabled(automation_id, True)

    def _set_enabled(self, automation_id: uuid.UUID, enabled: bool) -> None:
        from praefect import exceptions

        if not self._client.set_automation_enabled(_uuid(automation_id), enabled):
            raise exceptions.ObjectNotFound(
                f"Automation {automation_id} not found.", automation_id=automation_id
            )

    def read_resource_related_automations(self, resource_id: str) -> list[_schemas.Automation]:
        rows = self._client.read_automations_related_to(resource_id)
        return [_schemas.Automation.model_validate(row) for row in rows]

    def delete_resource_owned_automations(self, resource_id: str) -> None:
        self._client.delete_automations_owned_by(resource_id)
