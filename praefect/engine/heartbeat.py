"""Heartbeats of the flow runs executing in this process.

One daemon thread per process, started with the first running flow run, writes the time into
every running flow run of the process each ``PRAEFECT_HEARTBEAT_SECONDS`` (10 s). A run whose
heartbeat goes stale is marked Crashed by whoever looks next (see
``praefect.orchestration.zombies``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from praefect.schemas.states import now_utc

_logger = logging.getLogger("praefect.heartbeat")
_lock = threading.Lock()
_running: dict[Any, Any] = {}
_thread: threading.Thread | None = None
_wake = threading.Event()


def register(flow_run_id: Any, client: Any) -> None:
    """Start beating for a flow run that entered Running."""
    global _thread
    with _lock:
        _running[flow_run_id] = client
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="praefect-heartbeat", daemon=True)
            _thread.start()


def unregister(flow_run_id: Any) -> None:
    """Stop beating for a flow run that left Running."""
    with _lock:
        _running.pop(flow_run_id, None)


def _loop() -> None:
    from praefect.settings import get_current_settings

    while True:
        _wake.wait(get_current_settings().heartbeat_seconds)
        _wake.clear()
        with _lock:
            beats = list(_running.items())
        now = now_utc()
        for flow_run_id, client in beats:
            try:
                client.update_flow_run(flow_run_id, heartbeat=now)
            except Exception as exc:  # a missed beat is retried at the next one
                _logger.debug("Heartbeat of flow run %s failed: %s", flow_run_id, exc)
