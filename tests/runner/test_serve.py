"""``flow.serve()`` in a real process: it registers its deployment (no work pool), runs the runs
created for it, and on SIGTERM shuts down gracefully: the run still going is stopped and marked
Crashed, the deployment is paused, the process exits."""

from __future__ import annotations

import asyncio
import datetime as _dt
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from praefect import exceptions, flow
from praefect.client.orchestration import SyncPrefectClient
from praefect.runner import Runner

SERVE = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from praefect import flow


    @flow
    def slow(marker: str, seconds: float = 60.0):
        Path(marker).write_text("started")
        time.sleep(seconds)
        return "done"


    if __name__ == "__main__":
        slow.serve(name="served", tags=["served"], limit=2)
    """
)


def _wait(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _deployment(client: SyncPrefectClient):  # type: ignore[no-untyped-def]
    try:
        return client.read_deployment_by_name("slow/served")
    except exceptions.ObjectNotFound:
        return None


def test_flow_serve_runs_its_runs_and_shuts_down_gracefully_on_sigterm(
    use_database, cli_env, tmp_path: Path
):
    script = tmp_path / "serve_it.py"
    script.write_text(SERVE)
    env = {**cli_env, "PRAEFECT_DATABASE_URL": use_database, "PRAEFECT_RUNNER_POLL_SECONDS": "0.05",
           "PRAEFECT_WORKER_KILL_GRACE_SECONDS": "0.5"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, str(script)], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        client = SyncPrefectClient()
        deployment = _wait(lambda: _deployment(client))
        assert deployment.work_pool_name is None and deployment.tags == ["served"]
        quick = client.create_flow_run_from_deployment(
            deployment.id, parameters={"marker": str(tmp_path / "quick"), "seconds": 0}
        )
        _wait(lambda: client.read_flow_run(quick.id).state.is_completed())
        marker = tmp_path / "slow"
        slow = client.create_flow_run_from_deployment(
            deployment.id, parameters={"marker": str(marker)}
        )
        _wait(lambda: marker.exists() and client.read_flow_run(slow.id).state.is_running())
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert "slow/served" in output
    stopped = client.read_flow_run(slow.id)
    assert stopped.state.type.value == "CRASHED" and "signal" in stopped.state.message
    assert client.read_deployment(deployment.id).paused is True


@flow
def served_by_runner(n: int = 1) -> int:
    return n


def test_runner_add_flow_registers_a_deployment_without_a_pool(use_database):
    async def main() -> None:
        runner = Runner(name="registering-runner", query_seconds=0.05)
        await runner.aadd_flow(served_by_runner, name="every-minute", interval=60)
        await runner.start(run_once=True)

    asyncio.run(main())
    client = SyncPrefectClient()
    deployment = client.read_deployment_by_name("served-by-runner/every-minute")
    assert deployment.work_pool_name is None
    assert [s.schedule.interval for s in deployment.schedules] == [_dt.timedelta(seconds=60)]
    with pytest.raises(TypeError, match="'colour'"):
        Runner().add_flow(served_by_runner, name="x", colour="red")
