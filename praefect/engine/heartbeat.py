"""Heartbeats of the flow runs executing in this process.

One daemon thread per process, started with the first running flow run, writes the time into
every running flow run of the process each ``PRAEFECT_HEARTBEAT_SECONDS`` (10 s), with the
attempt that runs it: once a newer attempt has started, the orchestrator ignores the beats of the
replaced one. A run whose heartbeat goes stale is marked Crashed by whoever looks next (see
``praefect.orchestration.zombies``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING

from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.client.base import OrchestrationClient

_logger = logging.getLogger("praefect.heartbeat")
_lock = threading.Lock()
_beat_done = threading.Condition(_lock)
_running: dict[uuid.UUID, tuple[OrchestrationClient, int | None]] = {}
_in_flight: uuid.UUID | None = None  # the flow run whose beat is being written
_thread: threading.Thread | None = None
_wake = threading.Event()


def register(
    flow_run_id: uuid.UUID, client: OrchestrationClient, attempt: int | None = None
) -> None:
    """Start beating for a flow run that entered Running (in ``attempt``)."""
    global _thread
    with _lock:
        _running[flow_run_id] = client, attempt
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="praefect-heartbeat", daemon=True)
            _thread.start()


def unregister(flow_run_id: uuid.UUID) -> None:
    """Stop beating for a flow run that left Running (waiting for its beat in flight, so no
    heartbeat is recorded after the run has ended)."""
    with _lock:
        _running.pop(flow_run_id, None)
        _beat_done.wait_for(lambda: _in_flight != flow_run_id)


def _loop() -> None:
    from praefect.settings import get_current_settings

    while True:
        _wake.wait(get_current_settings().heartbeat_seconds)
        _wake.clear()
        with _lock:
            beats = list(_running)
        for flow_run_id in beats:
            _beat(flow_run_id)


def _beat(flow_run_id: uuid.UUID) -> None:
    global _in_flight
    with _lock:
        beating = _running.get(flow_run_id)
        if beating is None:  # it left Running since the list was taken
            return
        _in_flight = flow_run_id
    client, attempt = beating
    fields: dict[str, object] = {"heartbeat": now_utc()}
    if attempt:
        fields["attempt"] = attempt
    try:
        client.update_flow_run(flow_run_id, **fields)
    except Exception as exc:  # a missed beat is retried at the next one
        _logger.debug("Heartbeat of flow run %s failed: %s", flow_run_id, exc)
    finally:
        with _lock:
            _in_flight = None
            _beat_done.notify_all()
