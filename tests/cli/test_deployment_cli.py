"""``praefect deploy`` and ``praefect deployment ...``: in-process through typer's runner (stdin
is not a terminal there, so nothing is asked), and on a pseudo-terminal for the prompts."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import praefect
from praefect.cli import app
from praefect.schemas.work_pools import WorkPoolCreate

FLOW = textwrap.dedent(
    """
    from praefect import flow


    @flow
    def hello(name: str = "world", n: int = 1) -> str:
        return f"{name} x{n}"
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "hello.py").write_text(FLOW)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def client():
    with praefect.get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def pool(client) -> str:
    client.create_work_pool(WorkPoolCreate(name="local", type="process"))
    return "local"


def cli(*args: str) -> object:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_deploy_an_entrypoint_then_manage_the_deployment(project, pool, client):
    deployed = cli(
        "deploy", "./flows/hello.py:hello", "-n", "nightly", "--pool", pool,
        "--cron", "0 3 * * *", "--timezone", "Europe/Paris", "--param", "n=2", "--tag", "etl",
    )  # fmt: skip
    assert deployed.exit_code == 0, deployed.output
    assert "praefect worker start --pool local" in deployed.output
    stored = client.read_deployment_by_name("hello/nightly")
    assert stored.entrypoint == "flows/hello.py:hello"
    assert stored.parameters == {"n": 2} and stored.tags == ["etl"]
    assert stored.schedules[0].schedule.cron == "0 3 * * *"
    assert stored.schedules[0].schedule.timezone == "Europe/Paris"
    assert stored.pull_steps == [
        {"praefect.deployments.steps.set_working_directory": {"directory": str(project)}}
    ]

    listed = cli("deployment", "ls", "-o", "json")
    assert [d["flow_name"] + "/" + d["name"] for d in json.loads(listed.stdout)] == [
        "hello/nightly"
    ]
    assert "cron 0 3 * * * (Europe/Paris)" in cli("deployment", "inspect", "hello/nightly").stdout

    ran = cli("deployment", "run", "hello/nightly", "--param", "name=cli", "-o", "json")
    assert ran.exit_code == 0, ran.output
    run = json.loads(ran.stdout)
    assert run["parameters"] == {"n": 2, "name": "cli"}
    assert run["state"]["type"] == "SCHEDULED"

    refused = cli("deployment", "run", "hello/nightly", "--param", "n=many")
    assert refused.exit_code == 1
    assert "n: 'many' is not of type 'integer'" in refused.output

    assert cli("deployment", "schedule", "pause", "hello/nightly", "--all").exit_code == 0
    assert client.read_deployment(stored.id).schedules[0].active is False
    created = cli("deployment", "schedule", "create", "hello/nightly", "--interval", "60")
    assert created.exit_code == 0, created.output
    assert len(client.read_deployment_schedules(stored.id)) == 2
    assert "every 1m 00s" in cli("deployment", "schedule", "ls", "hello/nightly").output
    assert cli("deployment", "schedule", "clear", "hello/nightly").exit_code == 0
    assert client.read_deployment_schedules(stored.id) == []

    assert cli("deployment", "pause", "hello/nightly").exit_code == 0
    assert client.read_deployment(stored.id).paused is True
    assert cli("deployment", "resume", "hello/nightly").exit_code == 0
    assert client.read_deployment(stored.id).paused is False
    unanswered = cli("deployment", "delete", "hello/nightly")  # no one at stdin to answer
    assert unanswered.exit_code == 1 and "give --yes to delete without asking" in unanswered.output
    assert client.read_deployment(stored.id).name == "nightly"
    declined = CliRunner().invoke(app, ["deployment", "delete", "hello/nightly"], input="n\n")
    assert declined.exit_code == 1 and "Delete deployment 'hello/nightly'?" in declined.output
    assert cli("deployment", "delete", "hello/nightly", "--yes").exit_code == 0
    missing = cli("deployment", "inspect", "hello/nightly")
    assert missing.exit_code == 1 and "'hello/nightly' not found" in missing.output


def test_run_watch_gives_up_after_the_timeout(project, pool):
    cli("deploy", "flows/hello.py:hello", "-n", "w", "--pool", pool)
    watched = cli(
        "deployment", "run", "hello/w", "--watch", "--watch-interval", "0.05",
        "--watch-timeout", "0.2",
    )  # fmt: skip
    assert watched.exit_code == 1
    assert "is still Scheduled after 0.2 s" in watched.output


def test_deploy_without_a_terminal_names_what_is_missing(project, pool, client):
    no_name = cli("deploy", "flows/hello.py:hello", "--pool", pool)
    assert no_name.exit_code == 1 and "give --name" in no_name.output
    no_pool = cli("deploy", "flows/hello.py:hello", "-n", "x", "--no-prompt")
    assert no_pool.exit_code == 1 and "give --pool" in no_pool.output
    ghost = cli("deploy", "flows/hello.py:hello", "-n", "x", "--pool", "ghost")
    assert ghost.exit_code == 1 and "praefect work-pool create ghost" in ghost.output
    bad = cli("deploy", "flows/nope.py:hello", "-n", "x", "--pool", pool)
    assert bad.exit_code == 1 and "Cannot load the flow" in bad.output
    cron = cli("deploy", "flows/hello.py:hello", "-n", "x", "--pool", pool, "--cron", "nope")
    assert cron.exit_code == 1 and "invalid cron expression 'nope'" in cron.output
    assert client.read_deployments() == []


def test_deploy_from_a_project_file_runs_build_steps_and_keeps_pull_steps(project, pool, client):
    (project / "praefect.yaml").write_text(
        textwrap.dedent(
            f"""
            name: demo
            build:
              - praefect.deployments.steps.run_shell_script:
                  id: version
                  script: echo 7
                  stream_output: false
            pull:
              - prefect.deployments.steps.set_working_directory:
                  directory: {project}
            deployments:
              - name: hourly
                entrypoint: flows/hello.py:hello
                version: "v{{{{ version.stdout }}}}"
                parameters: {{name: yaml}}
                work_pool: {{name: {pool}, work_queue_name: fast}}
                schedules:
                  - interval: 3600
                    parameters: {{n: 5}}
              - name: daily
                entrypoint: flows/hello.py:hello
                work_pool: {{name: {pool}}}
                schedules:
                  - cron: "0 0 * * *"
            """
        )
    )
    several = cli("deploy")
    assert several.exit_code == 1 and "give --name NAME or --all" in several.output
    deployed = cli("deploy", "--all")
    assert deployed.exit_code == 0, deployed.output
    hourly = client.read_deployment_by_name("hello/hourly")
    assert hourly.version == "v7"
    assert hourly.parameters == {"name": "yaml"} and hourly.work_queue_name == "fast"
    assert hourly.schedules[0].parameters == {"n": 5}
    assert hourly.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(project)}}
    ]
    daily = client.read_deployment_by_name("hello/daily")
    assert daily.schedules[0].schedule.cron == "0 0 * * *"

    # a command-line option wins over the file
    again = cli("deploy", "-n", "daily", "--param", "n=9", "--interval", "120")
    assert again.exit_code == 0, again.output
    daily = client.read_deployment_by_name("hello/daily")
    assert daily.parameters == {"n": 9}
    assert [s.schedule.interval.total_seconds() for s in daily.schedules] == [120]


def _converse(command: list[str], answers: list[tuple[str, str]], cwd: Path, env: dict) -> str:
    """Run ``command`` on a pseudo-terminal, answering each prompt (the text it waits for, the
    answer); return everything it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, cwd=cwd, env=env
    )
    os.close(follower)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the command exited and closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if pending and pending[0][0].encode() in seen:
                os.write(leader, pending.pop(0)[1].encode() + b"\n")
            if process.poll() is not None and not ready:
                break
    finally:
        process.wait(timeout=30)
        os.close(leader)
    return seen.decode(errors="replace")


def test_deploy_on_a_terminal_asks_for_what_is_missing(project, pool, client, cli_env):
    command = [sys.executable, "-m", "praefect.cli", "deploy", "flows/hello.py:hello"]
    printed = _converse(
        command, [("Deployment name", "asked"), ("Work pool", pool)], project, cli_env
    )
    assert "Choose the work pool: local" in printed, printed
    assert "Deployment 'hello/asked' created or updated" in printed, printed
    assert client.read_deployment_by_name("hello/asked").work_pool_name == "local"


def test_deploy_makes_the_triggers_of_praefect_yaml_automations(project, pool, client):
    (project / "praefect.yaml").write_text(
        textwrap.dedent(
            f"""
            deployments:
              - name: on-upload
                entrypoint: flows/hello.py:hello
                work_pool: {{name: {pool}}}
                triggers:
                  - enabled: true
                    match: {{prefect.resource.id: "acme.file.*"}}
                    expect: [acme.upload]
                    parameters: {{name: "{{{{ event.resource.id }}}}"}}
            """
        )
    )
    deployed = cli("deploy", "--all")
    assert deployed.exit_code == 0, deployed.output
    deployment = client.read_deployment_by_name("hello/on-upload")
    owned = client.read_resource_related_automations(f"prefect.deployment.{deployment.id}")
    assert [a.trigger.expect for a in owned] == [{"acme.upload"}]
    assert owned[0].actions[0].parameters == {"name": "{{ event.resource.id }}"}


def test_deploy_refuses_a_bad_trigger_before_writing_anything(project, pool, client):
    (project / "praefect.yaml").write_text(
        textwrap.dedent(
            f"""
            deployments:
              - name: bad-trigger
                entrypoint: flows/hello.py:hello
                work_pool: {{name: {pool}}}
                triggers:
                  - expect: [acme.upload]
                    threshold: 0
            """
        )
    )
    refused = cli("deploy", "--all")
    assert refused.exit_code == 1 and "threshold" in refused.output
    assert client.read_deployments() == []


def test_deploy_fills_in_variables_of_praefect_yaml(project, pool, client):
    from praefect.variables import Variable

    Variable.set("report_size", 25)
    Variable.set("report_owner", "ops")
    (project / "praefect.yaml").write_text(
        textwrap.dedent(
            f"""
            deployments:
              - name: sized
                entrypoint: flows/hello.py:hello
                description: "owned by {{{{ prefect.variables.report_owner }}}}"
                parameters: {{n: "{{{{ prefect.variables.report_size }}}}"}}
                work_pool: {{name: {pool}}}
            """
        )
    )
    deployed = cli("deploy", "--all")
    assert deployed.exit_code == 0, deployed.output
    deployment = client.read_deployment_by_name("hello/sized")
    assert deployment.parameters == {"n": 25} and deployment.description == "owned by ops"
