"""Automations, as Prefect 3's ``prefect.automations``: an ``Automation`` is a trigger (which
events, or which missing events, make it fire) and the actions it then runs.

```python
from praefect.automations import Automation, EventTrigger, PauseDeployment

Automation(
    name="pause-on-alarm",
    trigger=EventTrigger(expect={"acme.alarm"}, match={"prefect.resource.id": "acme.*"}),
    actions=[PauseDeployment(deployment_id=deployment_id)],
).create()
```

Triggers are evaluated where events are stored: by the server, or in-process when no server
is configured; see ``docs/automations.md``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Self

from pydantic import Field

from praefect.schemas.automation_actions import (
    CallWebhook,
    CancelFlowRun,
    ChangeFlowRunState,
    DeclareIncident,
    DeleteFlowRun,
    DoNothing,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    PauseWorkQueue,
    ResumeAutomation,
    ResumeDeployment,
    ResumeFlowRun,
    ResumeWorkPool,
    ResumeWorkQueue,
    RunDeployment,
    SendNotification,
    SuspendFlowRun,
)
from praefect.schemas.automations import (
    AutomationCore,
    CompositeTrigger,
    CompoundTrigger,
    EventTrigger,
    Posture,
    ResourceSpecification,
    ResourceTrigger,
    SequenceTrigger,
    Trigger,
)

__all__ = [
    "Automation",
    "AutomationCore",
    "CallWebhook",
    "CancelFlowRun",
    "ChangeFlowRunState",
    "CompositeTrigger",
    "CompoundTrigger",
    "DeclareIncident",
    "DeleteFlowRun",
    "DoNothing",
    "EventTrigger",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "PauseWorkQueue",
    "Posture",
    "ResourceSpecification",
    "ResourceTrigger",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeFlowRun",
    "ResumeWorkPool",
    "ResumeWorkQueue",
    "RunDeployment",
    "SendNotification",
    "SequenceTrigger",
    "SuspendFlowRun",
    "Trigger",
]


def _client() -> Any:
    from praefect.client import get_client

    return get_client(sync_client=True)


class Automation(AutomationCore):
    """An automation: ``create()`` stores it, ``read(id=...)`` or ``read(name=...)`` finds one,
    ``update()``, ``enable()``, ``disable()`` and ``delete()`` change it. Each has an async
    twin (``acreate()``, ``aread()``, ...).

    >>> a = Automation(name="x", trigger=EventTrigger(expect={"acme.x"}), actions=[DoNothing()])
    >>> a.id is None, a.enabled
    (True, True)
    """

    id: uuid.UUID | None = Field(default=None)

    def create(self) -> Self:
        """Store this automation; sets and returns it with its ``id``. ``ValueError`` when an
        action names a deployment (work pool, queue) that does not exist."""
        with _client() as client:
            self.id = client.create_automation(self)
        return self

    def update(self) -> None:
        """Replace the stored automation with this one."""
        if self.id is None:
            raise ValueError("Can't update an automation without an id; create() it first.")
        with _client() as client:
            client.update_automation(self.id, self)

    @classmethod
    def read(cls, id: uuid.UUID | str | None = None, name: str | None = None) -> Self:
        """The automation with this ``id``, or the first one called ``name``; ``ValueError``
        when there is none."""
        if id and name:
            raise ValueError("Only one of id or name can be provided")
        if not id and not name:
            raise ValueError("One of id or name must be provided")
        with _client() as client:
            if id:
                found = client.read_automation(id)
                if found is None:
                    raise ValueError(f"Automation with ID {str(id)!r} not found")
                return cls.model_validate(found.model_dump())
            named = client.read_automations_by_name(name)
            if not named:
                raise ValueError(f"Automation with name {name!r} not found")
            return cls.model_validate(named[0].model_dump())

    def delete(self) -> bool:
        """Delete this automation; False when it was not stored."""
        if self.id is None:
            raise ValueError("Can't delete an automation without an id")
        with _client() as client:
            return bool(client._client.delete_automation(self.id))

    def disable(self) -> bool:
        """Stop evaluating this automation; False when it is not stored."""
        return self._set_enabled(False)

    def enable(self) -> bool:
        """Evaluate this automation again; False when it is not stored."""
        return self._set_enabled(True)

    def _set_enabled(self, enabled: bool) -> bool:
        if self.id is None:
            raise ValueError(
                f"Can't {'enable' if enabled else 'disable'} an automation without an id"
            )
        with _client() as client:
            done = bool(client._client.set_automation_enabled(self.id, enabled))
        if done:
            self.enabled = enabled
        return done

    # -- async twins --------------------------------------------------------------------------
    async def acreate(self) -> Self:
        return await asyncio.to_thread(self.create)

    async def aupdate(self) -> None:
        await asyncio.to_thread(self.update)

    @classmethod
    async def aread(cls, id: uuid.UUID | str | None = None, name: str | None = None) -> Self:
        return await asyncio.to_thread(cls.read, id, name)

    async def adelete(self) -> bool:
        return await asyncio.to_thread(self.delete)

    async def adisable(self) -> bool:
        return await asyncio.to_thread(self.disable)

    async def aenable(self) -> bool:
        return await asyncio.to_thread(self.enable)
