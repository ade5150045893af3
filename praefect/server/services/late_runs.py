"""``MarkLateRuns``: Scheduled runs more than ``PRAEFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS``
(default 15) past their time become Late (``orchestration.scheduling.mark_late_runs``), and
with ``PRAEFECT_SERVER_SERVICES_LATE_RUNS_MAX_LATENESS_SECONDS`` those waiting longer than that
are Cancelled (``orchestration.scheduling.cancel_stale_runs``)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import uuid

from sqlalchemy.engine import Engine

from praefect import database, orchestration
from praefect.server.services.base import setting_field

__all__ = ["MarkLateRuns"]

_log = logging.getLogger("praefect.server.services.late_runs")
_BATCH = 500


@dataclasses.dataclass
class MarkLateRuns:
    """Marks overdue Scheduled runs Late, ``_BATCH`` a transaction until none is left."""

    loop_seconds: float = setting_field("server_services_late_runs_loop_seconds")
    after_seconds: float = setting_field("server_services_late_runs_after_seconds")
    max_lateness_seconds: float | None = setting_field(
        "server_services_late_runs_max_lateness_seconds"
    )
    name: str = "MarkLateRuns"

    def run_once(self, engine: Engine, now: _dt.datetime) -> list[uuid.UUID]:
        marked: list[uuid.UUID] = []
        while True:
            batch = database.write(
                engine,
                lambda conn: orchestration.scheduling.mark_late_runs(
                    conn, now=now, after_seconds=self.after_seconds, limit=_BATCH
                ),
            )
            marked.extend(batch)
            if len(batch) < _BATCH:
                break
        if marked:
            _log.info("Marked %d flow run(s) Late.", len(marked))
        max_lateness = self.max_lateness_seconds
        if max_lateness is not None:
            cancelled: list[uuid.UUID] = []
            while True:
                batch = database.write(
                    engine,
                    lambda conn: orchestration.scheduling.cancel_stale_runs(
                        conn, max_lateness, now=now, limit=_BATCH
                    ),
                )
                cancelled.extend(batch)
                if len(batch) < _BATCH:
                    break
            if cancelled:
                _log.info("Cancelled %d flow run(s) later than their max lateness.", len(cancelled))
        return marked
