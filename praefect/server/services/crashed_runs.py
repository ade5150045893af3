"""``CrashedRuns``: Running (or Cancelling) flow runs whose process is gone become Crashed
(``orchestration.zombies``): on this host, a recorded pid that no longer exists; anywhere, no
heartbeat for ``PRAEFECT_SERVER_SERVICES_CRASHED_RUNS_AFTER_SECONDS`` (default 20: two missed
heartbeats). A run that moved on meanwhile is left alone."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import socket
import uuid

from sqlalchemy.engine import Engine

from praefect import orchestration
from praefect.server.services.base import setting_field

__all__ = ["CrashedRuns"]

_log = logging.getLogger("praefect.server.services.crashed_runs")


@dataclasses.dataclass
class CrashedRuns:
    """Finds runs whose process died and marks each Crashed in its own transaction."""

    loop_seconds: float = setting_field("server_services_crashed_runs_loop_seconds")
    after_seconds: float = setting_field("server_services_crashed_runs_after_seconds")
    hostname: str = dataclasses.field(default_factory=socket.gethostname)
    name: str = "CrashedRuns"

    def run_once(self, engine: Engine, now: _dt.datetime) -> list[uuid.UUID]:
        crashed = orchestration.zombies.crash_dead_runs(
            engine, self.hostname, self.after_seconds, now=now
        )
        for run_id, reason in crashed:
            _log.warning("Flow run %s crashed: %s", run_id, reason)
        return [run_id for run_id, _ in crashed]
