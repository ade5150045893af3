"""T8: a deployment run whose pool has no worker becomes Late once past its threshold, on a real
``praefect server start`` whose late-runs service does it (threshold and loop shortened here);
it is never started by anyone."""

from __future__ import annotations

import time
from pathlib import Path

from praefect import settings
from tests.conftest import running_server


def test_a_run_with_no_worker_for_its_pool_becomes_late(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **cli_env,
        "PRAEFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "1",
        "PRAEFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "0.2",
    }
    with running_server(env, log=tmp_path / "server.log") as (_, api):
        with settings.temporary_settings({"api_url": api}, process_wide=True):
            import praefect

            client = praefect.get_client(sync_client=True)
            client.create_work_pool({"name": "nobody-polls", "type": "process"})
            deployment_id = client.create_deployment(
                client.create_flow_from_name("t8"), name="t8", work_pool_name="nobody-polls"
            )
            run = client.create_flow_run_from_deployment(deployment_id)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if client.read_flow_run(run.id).state_name == "Late":
                    break
                time.sleep(0.1)
            history = [state.name for state in client.read_flow_run_states(run.id)]
            late = client.read_flow_run(run.id)
    assert history == ["Scheduled", "Late"]
    assert late.state.type.value == "SCHEDULED"  # still waiting for a worker, not failed
    assert late.start_time is None  # nobody started it
    # why it is late, in its state
    assert late.state.message == (
        "No worker has polled work pool 'nobody-polls': start one with "
        "`praefect worker start --pool nobody-polls`."
    )
