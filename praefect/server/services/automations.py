"""The automation services: ``ProactiveTriggers`` fires the proactive triggers whose window
ended without their expected events (``orchestration.automation_triggers.evaluate_proactive``);
``AutomationActions`` runs the automation actions that are due (retries, and actions queued
by a process that has exited since; the process that stores an event runs the actions it
queues at once)."""

from __future__ import annotations

import dataclasses
import datetime as _dt

from sqlalchemy.engine import Connection, Engine

from praefect import database, orchestration
from praefect.server.services.base import setting_field

__all__ = ["AutomationActions", "ProactiveTriggers"]


@dataclasses.dataclass
class ProactiveTriggers:
    """Closes the proactive triggers' windows that are over, one transaction a pass."""

    loop_seconds: float = setting_field("server_services_triggers_loop_seconds")
    name: str = "ProactiveTriggers"

    def run_once(self, engine: Engine, now: _dt.datetime) -> int:
        def evaluate(conn: Connection) -> int:
            emitted = orchestration.automation_triggers.evaluate_proactive(conn, now)
            orchestration.events.ingest(conn, emitted, skip_existing=False)
            return sum(e["event"] == "prefect.automation.triggered" for e in emitted)

        return database.write(engine, evaluate)


@dataclasses.dataclass
class AutomationActions:
    """Runs the automation actions due at ``now``."""

    loop_seconds: float = setting_field("server_services_actions_loop_seconds")
    name: str = "AutomationActions"

    def run_once(self, engine: Engine, now: _dt.datetime) -> int:
        return orchestration.automation_actions.run_due(engine, now)
