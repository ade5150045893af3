"""The CLI against a real praefect server: runs recorded by another process, seen from another
home through a profile."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    from praefect.server.background import BackgroundServer

    database = tmp_path_factory.mktemp("server") / "server.db"
    with BackgroundServer(database_url=f"sqlite:///{database}") as running:
        yield running


@pytest.fixture(scope="module")
def recorded_remotely(server, user_env, tmp_path_factory: pytest.TempPathFactory):
    """``flows_for_cli.py`` run as a plain script with ``PRAEFECT_API_URL`` set, from its own
    home (so nothing of it is on the CLI's disk)."""
    home = tmp_path_factory.mktemp("script-home")
    env = user_env(home)
    env["PRAEFECT_API_URL"] = server.api_url
    done = subprocess.run(
        [sys.executable, str(HERE / "flows_for_cli.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"flows_for_cli.py failed:\n{done.stdout}\n{done.stderr}"
    assert not (home / "praefect.db").exists()
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_runs_of_another_process_show_through_a_remote_profile(
    server, recorded_remotely, tmp_path, run_cli
):
    home = tmp_path / "cli-home"
    home.mkdir()

    def cli(*args: str):
        return run_cli(*args, home=home)

    assert cli("profile", "create", "remote").code == 0
    set_url = cli("--profile", "remote", "config", "set", f"PRAEFECT_API_URL={server.api_url}")
    assert set_url.code == 0, set_url.output
    used = cli("profile", "use", "remote")
    assert used.code == 0, used.output
    assert f"Connected to the praefect server at {server.api_url}." in used.stdout

    listed = cli("flow-run", "ls", "--limit", "50", "-o", "json")
    assert listed.code == 0, listed.output
    by_id = {run["id"]: run for run in listed.json()}
    etl, broken = recorded_remotely["etl"], recorded_remotely["broken"]
    assert by_id[etl]["flow_name"] == "cli-etl" and by_id[etl]["state_type"] == "COMPLETED"
    assert by_id[broken]["state_type"] == "FAILED"

    inspected = cli("flow-run", "inspect", etl, "-o", "json")
    assert inspected.code == 0, inspected.output
    assert inspected.json()["task_run_count"] > 0
    logs = cli("flow-run", "logs", etl)
    assert "etl-end-marker" in logs.stdout and "doubling" in logs.stdout

    task_runs = cli("task-run", "ls", "--limit", "100", "-o", "json").json()
    assert recorded_remotely["flaky_task_run"] in {t["id"] for t in task_runs}

    # everything came from the server: the CLI's home has a profile and no database
    assert not (home / "praefect.db").exists()
    assert sorted(p.name for p in home.iterdir()) == ["profiles.toml"]

    # the same commands on the embedded store of that home see nothing
    local = run_cli("--profile", "default", "flow-run", "ls", "-o", "json", home=home)
    assert local.code == 0 and local.json() == []


def test_cancel_and_delete_against_the_server(server, tmp_path, run_cli):
    from praefect import exceptions, get_client, settings, states

    with settings.temporary_settings({"api_url": server.api_url}):
        with get_client(sync_client=True) as client:
            scheduled = str(client.create_flow_run("cli-remote", state=states.Scheduled()).id)
            running = str(client.create_flow_run("cli-remote", state=states.Running()).id)

    home = tmp_path / "cli-home"
    home.mkdir()

    def cli(*args: str):
        return run_cli(*args, home=home, env={"PRAEFECT_API_URL": server.api_url})

    cancelled = cli("flow-run", "cancel", scheduled)
    assert cancelled.code == 0, cancelled.output
    assert "is now Cancelled." in cancelled.stdout
    cancelling = cli("flow-run", "cancel", running, "-o", "json")
    assert cancelling.json()["state_type"] == "CANCELLING"

    deleted = cli("flow-run", "delete", scheduled, "-y")
    assert deleted.code == 0, deleted.output
    assert not (home / "praefect.db").exists()
    with settings.temporary_settings({"api_url": server.api_url}):
        with get_client(sync_client=True) as client:
            assert client.read_flow_run(uuid.UUID(running)).state.type.value == "CANCELLING"
            with pytest.raises(exceptions.ObjectNotFound):
                client.read_flow_run(uuid.UUID(scheduled))


def test_follow_logs_against_the_server(server, follow_running_flow, user_env, tmp_path):
    env = user_env(tmp_path / "home")
    env["PRAEFECT_API_URL"] = server.api_url
    follow_running_flow(env, Path(tmp_path / "signals"))
