"""Scheduled runs end to end, every step a real process: `praefect server start` (its scheduler
on), `praefect deploy` with an interval schedule, and a worker that runs what the scheduler
made."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_server

FLOW = textwrap.dedent(
    """
    from praefect import flow


    @flow
    def tick(n: int = 1) -> int:
        return n * 2
    """
)


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``praefect server start`` with a quick recent-deployments pass; its clients' env."""
    env = {**cli_env, "PRAEFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "0.2"}
    with running_server(env, log=tmp_path / "server.log") as (_, api):
        yield api, {**cli_env, "PRAEFECT_API_URL": api, "PRAEFECT_WORKER_PREFETCH_SECONDS": "0"}


def _praefect(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "praefect.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"praefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _runs(api: str, deployment_id: str) -> list[dict]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
    return httpx.post(f"{api}/flow_runs/filter", json=body).json()


def test_the_scheduler_makes_runs_that_a_worker_runs(server, tmp_path):
    api, env = server
    project = tmp_path / "project"
    project.mkdir()
    (project / "tick.py").write_text(FLOW)
    _praefect("work-pool", "create", "local", "--type", "process", env=env, cwd=project)
    _praefect(
        "deploy", "./tick.py:tick", "-n", "every-2s", "--pool", "local",
        "--interval", "2", "--param", "n=21", env=env, cwd=project,
    )  # fmt: skip
    deployment = httpx.get(f"{api}/deployments/name/tick/every-2s").json()

    deadline = time.monotonic() + 30  # the recent-deployments pass runs every 0.2 s here
    runs = _runs(api, deployment["id"])
    while len(runs) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        runs = _runs(api, deployment["id"])

    assert len(runs) >= 3, runs
    assert all(run["auto_scheduled"] and "auto-scheduled" in run["tags"] for run in runs)
    first = datetime.fromisoformat(runs[0]["expected_start_time"])
    time.sleep(max(0.0, (first - datetime.now(UTC)).total_seconds()) + 0.1)  # at most 2 s

    _praefect("worker", "start", "--pool", "local", "--run-once", env=env, cwd=tmp_path)

    done = [run for run in _runs(api, deployment["id"]) if run["state"]["type"] == "COMPLETED"]
    assert runs[0]["id"] in {run["id"] for run in done}
    assert all(run["auto_scheduled"] and run["parameters"] == {"n": 21} for run in done)
