"""A worker killed with SIGKILL together with the flow processes it started, right after it
claimed runs: every run it held ends Crashed, or is rescheduled when it has retries left, within
the worker's heartbeat window; none stays Pending (or Running) for good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_server

FLOWS = textwrap.dedent(
    """
    import time

    from praefect import flow


    @flow
    def slow(seconds: float = 30.0):
        time.sleep(seconds)


    @flow(retries=1)
    def slow_with_a_retry(seconds: float = 30.0):
        time.sleep(seconds)
    """
)
RUNS = 8
HEARTBEAT_SECONDS = 1
WINDOW = 3 * HEARTBEAT_SECONDS
"""A worker counts as gone after three missed heartbeats."""
WAITING = {"Scheduled", "Late"}
"""The names of a run no worker has claimed (the server marks one Late after a while)."""


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **cli_env,
        "PRAEFECT_SERVER_SERVICES_CRASHED_RUNS_LOOP_SECONDS": "0.5",
        "PRAEFECT_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
    }
    with running_server(env, log=tmp_path / "server.log") as (_, api):
        yield api, {**env, "PRAEFECT_API_URL": api}


def _praefect(*args: str, env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "praefect.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"praefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the worker's runs are in sessions of their own, so its
    process group does not reach them)."""
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, set()).add(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _states(api: str, ids: list[str]) -> dict[str, str]:
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"id": {"any_": ids}}}).json()
    return {run["id"]: run["state"]["name"] for run in runs}


@pytest.mark.parametrize("flow_name", ["slow", "slow_with_a_retry"])
def test_runs_of_a_worker_killed_with_its_children_end_or_are_rescheduled(
    server, tmp_path, flow_name
):
    api, env = server
    project = tmp_path / "project"
    project.mkdir()
    (project / "flows.py").write_text(FLOWS)
    _praefect("work-pool", "create", "local", env=env, cwd=project)
    _praefect(
        "deploy", f"./flows.py:{flow_name}", "-n", "d", "--pool", "local", env=env, cwd=project
    )
    deployment = httpx.get(f"{api}/deployments/name/{flow_name.replace('_', '-')}/d").json()
    ids = [
        httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", json={}).json()["id"]
        for _ in range(RUNS)
    ]

    worker = subprocess.Popen(
        [sys.executable, "-m", "praefect.cli", "worker", "start", "--pool", "local"],
        env=env, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Pending" not in _states(api, ids).values():
            assert time.monotonic() < deadline, f"the worker claimed nothing: {_states(api, ids)}"
            time.sleep(0.02)
    finally:
        for pid in [worker.pid, *_descendants(worker.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.wait()
    at_kill = _states(api, ids)
    assert "Pending" in at_kill.values()

    allowed = {"Crashed", "AwaitingRetry"} if flow_name == "slow_with_a_retry" else {"Crashed"}
    # three missed heartbeats, then a pass of the crash check; generous for a loaded machine
    deadline = time.monotonic() + WINDOW + 20
    while True:
        states = _states(api, ids)
        held = {run: name for run, name in states.items() if at_kill[run] not in WAITING}
        if all(name in allowed for name in held.values()):
            break
        assert time.monotonic() < deadline, f"at the kill: {at_kill}; now: {states}"
        time.sleep(0.2)
    # what was never claimed is still waiting for a worker, untouched
    assert all(states[run] in WAITING for run, name in at_kill.items() if name in WAITING)
