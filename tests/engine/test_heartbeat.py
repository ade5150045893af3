"""A running flow run's process reports that it is alive."""

from __future__ import annotations

import time

from praefect import flow, get_client
from praefect.runtime import flow_run
from praefect.settings import temporary_settings


def test_running_flow_run_records_heartbeats():
    with temporary_settings({"heartbeat_seconds": 0.05}, process_wide=True):
        from praefect.engine import heartbeat

        heartbeat._wake.set()  # the beating thread may be asleep on an earlier, longer interval

        @flow
        def slow() -> str:
            time.sleep(0.4)
            return str(flow_run.id)

        run_id = slow()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.heartbeat is not None
    assert run.start_time <= run.heartbeat <= run.end_time
