"""T5: several workers polling one pool claim each queued run exactly once.

Three worker processes (the real ``BaseWorker`` polling and claiming, over HTTP to a real
``praefect server start`` on PostgreSQL, where workers on several hosts share a pool) race for 16
Scheduled runs. Their infrastructure is a line in a file,
so the test sees every claim: each run is started by exactly one worker, and every run ends.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from praefect import settings
from praefect.schemas import filters
from tests.conftest import running_server

WORKERS = 3
RUNS = 16

SCRIPT = textwrap.dedent(
    """
    import os
    import sys
    import time
    from pathlib import Path

    from praefect import states
    from praefect.workers.process import ProcessWorker

    claims, done = Path(sys.argv[1]), Path(sys.argv[2])


    class RecordingWorker(ProcessWorker):
        # The run's "infrastructure": a claim line, then the run finishes at once.
        def run(self, flow_run, configuration):
            with open(claims, "a") as fh:
                fh.write(f"{flow_run.id} {self.name}\\n")
            self.client.set_flow_run_state(flow_run.id, states.Running())
            self.client.set_flow_run_state(flow_run.id, states.Completed())
            return str(os.getpid()), None

        def wait(self, handle):
            return 0


    worker = RecordingWorker(work_pool_name="t5", name=f"worker-{os.getpid()}")
    worker.sync_with_backend()
    while not done.exists():
        worker.get_and_submit_flow_runs()
        time.sleep(0.02)
    worker.wait_for_runs(30)
    """
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_each_queued_run_is_claimed_by_exactly_one_worker(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "PRAEFECT_DATABASE_URL": database_url}
    claims, done, script = tmp_path / "claims", tmp_path / "done", tmp_path / "worker.py"
    script.write_text(SCRIPT)
    with running_server(env, "--no-services", log=tmp_path / "server.log") as (_, api):
        with settings.temporary_settings({"api_url": api}, process_wide=True):
            import praefect

            client = praefect.get_client(sync_client=True)
            client.create_work_pool({"name": "t5", "type": "process"})
            deployment_id = client.create_deployment(
                client.create_flow_from_name("t5"), name="t5", work_pool_name="t5"
            )
            workers = [
                subprocess.Popen(
                    [sys.executable, str(script), str(claims), str(done)],
                    env={**env, "PRAEFECT_API_URL": api},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(WORKERS)
            ]
            try:
                run_ids = {
                    client.create_flow_run_from_deployment(deployment_id).id for _ in range(RUNS)
                }
                of_deployment = filters.FlowRunFilter(
                    deployment_id=filters.FlowRunFilterDeploymentId(any_=[deployment_id])
                )
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    runs = client.read_flow_runs(flow_run_filter=of_deployment, limit=RUNS + 10)
                    if all(run.state_name == "Completed" for run in runs):
                        break
                    time.sleep(0.2)
            finally:
                done.touch()
                outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, "\n".join(outputs)
    assert {run.id for run in runs} == run_ids
    assert {run.state_name for run in runs} == {"Completed"}
    lines = claims.read_text().splitlines()
    claimed = [line.split()[0] for line in lines]
    assert sorted(claimed) == sorted(str(run_id) for run_id in run_ids)  # each exactly once
    assert len({line.split()[1] for line in lines}) > 1  # the workers really raced
