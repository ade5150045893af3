"""The deployment guide, as a new user runs it, every step a real process: a server, `praefect
work-pool create`, `praefect deploy` with a cron schedule, a run created over HTTP (as with curl),
`praefect deployment run`, and a worker that runs them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_server

FLOW = textwrap.dedent(
    """
    from praefect import flow


    @flow(log_prints=True)
    def hello(name: str = "world", n: int = 1) -> str:
        print(f"hello {name} x{n}")
        return name
    """
)


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``praefect server start`` on a free port; the environment of its clients."""
    with running_server(cli_env, log=tmp_path / "server.log") as (_, api):
        yield api, {**cli_env, "PRAEFECT_API_URL": api}


def _praefect(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "praefect.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, f"praefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_deploy_trigger_over_http_and_run_with_a_worker(server, tmp_path):
    api, env = server
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "hello.py").write_text(FLOW)

    _praefect("work-pool", "create", "local", "--type", "process", env=env, cwd=project)
    deployed = _praefect(
        "deploy", "./flows/hello.py:hello", "-n", "guide", "--pool", "local",
        "--cron", "0 3 * * *", "--param", "n=2", env=env, cwd=project,
    )  # fmt: skip
    assert "praefect worker start --pool local" in deployed.stdout

    deployment = httpx.get(f"{api}/deployments/name/hello/guide").json()
    ui = api.removesuffix("/api")
    assert f"UI: {ui}/deployments/deployment/{deployment['id']}" in deployed.stdout
    assert deployment["schedules"][0]["schedule"]["cron"] == "0 3 * * *"
    url = f"{api}/deployments/{deployment['id']}/create_flow_run"
    refused = httpx.post(url, json={"parameters": {"n": "many"}})
    assert refused.status_code == 422 and "n: 'many'" in refused.text
    created = httpx.post(url, json={"parameters": {"name": "curl"}})
    assert created.status_code == 201, created.text
    by_curl = created.json()
    assert by_curl["parameters"] == {"n": 2, "name": "curl"}

    by_cli = _praefect(
        "deployment", "run", "hello/guide", "--param", "name=cli", env=env, cwd=project
    )
    assert f"UI               {ui}/runs/flow-run/" in by_cli.stdout
    page = by_cli.stdout.split("UI               ")[1].split()[0]
    assert httpx.get(page).status_code == 200  # the printed address is the run's page

    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    _praefect("worker", "start", "--pool", "local", "--run-once", env=env, cwd=elsewhere)

    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"deployments": {"id": {"any_": [deployment["id"]]}}},
    ).json()
    # the server's scheduler also makes the cron's next runs (auto-scheduled, at 03:00)
    runs = [run for run in runs if not run["auto_scheduled"]]
    assert sorted(run["parameters"]["name"] for run in runs) == ["cli", "curl"]
    assert {run["state"]["type"] for run in runs} == {"COMPLETED"}, runs
