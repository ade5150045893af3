"""``FailExpiredPauses``: paused flow runs whose pause timed out (``pause_timeout`` in their
state's details is past) become Failed, with a message saying the run was paused and never
resumed (``orchestration.pauses.fail_expired``)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import uuid

from sqlalchemy.engine import Engine

from praefect import database, orchestration
from praefect.server.services.base import setting_field

__all__ = ["FailExpiredPauses"]

_log = logging.getLogger("praefect.server.services.pause_expirations")
_BATCH = 200


@dataclasses.dataclass
class FailExpiredPauses:
    """Fails the runs whose pause expired, ``_BATCH`` a transaction until none is left."""

    loop_seconds: float = setting_field("server_services_pause_expirations_loop_seconds")
    name: str = "FailExpiredPauses"

    def run_once(self, engine: Engine, now: _dt.datetime) -> list[uuid.UUID]:
        failed: list[uuid.UUID] = []
        while True:
            batch = database.write(
                engine, lambda conn: orchestration.pauses.fail_expired(conn, now, _BATCH)
            )
            failed.extend(batch)
            if len(batch) < _BATCH:
                break
        if failed:
            _log.info("Failed %d flow run(s) whose pause timed out.", len(failed))
        return failed
