"""The scheduler services: keep the next runs of every active schedule inserted
(``orchestration.scheduling.schedule_runs``; see there for the limits and the catch-up
policy).

``Scheduler`` passes over every deployment every ``loop_seconds`` (default 60);
``RecentDeploymentsScheduler`` passes every few seconds over the deployments and schedules
changed since its last pass, so a new deployment has its runs within seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import uuid

from sqlalchemy.engine import Engine

from praefect import database, orchestration
from praefect.server.services.base import setting_field

__all__ = ["RecentDeploymentsScheduler", "Scheduler"]

_log = logging.getLogger("praefect.server.services.scheduler")


@dataclasses.dataclass
class Scheduler:
    """Inserts the next Scheduled runs of every active schedule of every unpaused deployment."""

    loop_seconds: float = setting_field("server_services_scheduler_loop_seconds")
    name: str = "Scheduler"

    def run_once(self, engine: Engine, now: _dt.datetime) -> list[uuid.UUID]:
        created = database.write(
            engine, lambda conn: orchestration.scheduling.schedule_runs(conn, now=now)
        )
        if created:
            _log.info("Scheduled %d flow run(s).", len(created))
        return created


@dataclasses.dataclass
class RecentDeploymentsScheduler:
    """The scheduler's quick pass, over deployments (or schedules) changed since its last
    pass."""

    loop_seconds: float = setting_field("server_services_scheduler_recent_deployments_loop_seconds")
    name: str = "RecentDeploymentsScheduler"
    _since: _dt.datetime | None = dataclasses.field(default=None, repr=False)

    def run_once(self, engine: Engine, now: _dt.datetime) -> list[uuid.UUID]:
        # Overlapping windows cost nothing (inserting is idempotent) and cover clock skew
        # between this process and whoever wrote `updated`.
        since = self._since or now - _dt.timedelta(seconds=2 * self.loop_seconds)
        created = database.write(
            engine,
            lambda conn: orchestration.scheduling.schedule_runs(conn, now=now, updated_since=since),
        )
        self._since = now - _dt.timedelta(seconds=max(self.loop_seconds, 1.0))
        if created:
            _log.info("Scheduled %d flow run(s) of recently changed deployments.", len(created))
        return created
