"""``EventRetention``: events that occurred more than ``PRAEFECT_EVENTS_RETENTION_PERIOD``
seconds ago (default 7 days) are deleted, ``_BATCH`` a transaction so a big backlog never holds
the database for long (``orchestration.events.delete_older``)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging

from sqlalchemy.engine import Engine

from praefect import database, orchestration
from praefect.server.services.base import setting_field

__all__ = ["EventRetention"]

_log = logging.getLogger("praefect.server.services.event_retention")
_BATCH = 10_000


@dataclasses.dataclass
class EventRetention:
    """Deletes the events older than ``retention_seconds``; returns how many it deleted."""

    loop_seconds: float = setting_field("server_services_event_retention_loop_seconds")
    retention_seconds: float = setting_field("events_retention_period")
    name: str = "EventRetention"

    def run_once(self, engine: Engine, now: _dt.datetime) -> int:
        before = now - _dt.timedelta(seconds=self.retention_seconds)
        deleted = 0
        while True:
            batch = database.write(
                engine, lambda conn: orchestration.events.delete_older(conn, before, _BATCH)
            )
            deleted += batch
            if batch < _BATCH:
                break
        if deleted:
            _log.info("Deleted %d event(s) older than %s.", deleted, before.isoformat())
        return deleted
