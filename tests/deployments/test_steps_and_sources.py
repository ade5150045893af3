"""Pull steps (``praefect.deployments.steps``), ``Flow.from_source`` (a local directory or a git
repository, cloned at run time) and ``load_flow_from_flow_run``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from praefect import Flow
from praefect.deployments import run_deployment, steps
from praefect.flows import load_flow_from_entrypoint, load_flow_from_flow_run

FLOW_SOURCE = textwrap.dedent(
    """
    from praefect import flow
    from helper import greeting


    @flow
    def hello(name: str = "world") -> str:
        return greeting(name)
    """
)


def _project(root: Path) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "hello.py").write_text(FLOW_SOURCE)
    (root / "flows" / "helper.py").write_text("def greeting(name):\n    return f'hi {name}'\n")
    return root


def _git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture
def bare_repository(tmp_path: Path) -> Path:
    """A bare git repository holding ``flows/hello.py`` on branch ``main``."""
    work = _project(tmp_path / "work")
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", ".", cwd=work)
    _git("commit", "-q", "-m", "flows", cwd=work)
    bare = tmp_path / "flows.git"
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def test_run_steps_passes_outputs_between_steps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREETING", "hello")
    outputs = steps.run_steps(
        [
            {
                "prefect.deployments.steps.run_shell_script": {
                    "id": "say",
                    "script": "echo {{ $GREETING }}",
                    "stream_output": False,
                }
            },
            {
                "praefect.deployments.steps.run_shell_script": {
                    "script": "echo {{ say.stdout }} again",
                    "stream_output": False,
                }
            },
        ]
    )
    assert outputs["say"]["stdout"] == "hello"
    assert outputs["stdout"] == "hello again"


def test_a_failing_step_names_the_command(tmp_path):
    script = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    with pytest.raises(steps.StepExecutionError, match="exited with code 3"):
        steps.run_shell_script(script, stream_output=False)
    with pytest.raises(steps.StepExecutionError, match="Unknown step 'nope.step'"):
        steps.run_steps([{"nope.step": {}}])


def test_git_clone_clones_then_updates(bare_repository, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"file://{bare_repository}"
    first = steps.git_clone(url, branch="main")
    assert first == {"directory": str(tmp_path / "flows-main")}
    assert (tmp_path / "flows-main" / "flows" / "hello.py").exists()
    assert steps.git_clone(url, branch="main") == first  # an existing clone is updated
    with pytest.raises(steps.StepExecutionError, match="git clone of"):
        steps.git_clone(f"file://{tmp_path}/missing.git")


def test_from_source_local_directory_runs_from_that_directory(tmp_path, monkeypatch, client):
    project = _project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    hello = Flow.from_source(str(project), "flows/hello.py:hello")
    assert hello("x") == "hi x"
    deployment_id = hello.to_deployment("local-src").apply()
    stored = client.read_deployment(deployment_id)
    assert stored.entrypoint == "flows/hello.py:hello"
    assert stored.pull_steps == [
        {"praefect.deployments.steps.set_working_directory": {"directory": str(project)}}
    ]

    run = run_deployment(deployment_id, timeout=0)
    loaded = load_flow_from_flow_run(run, client=client)
    assert Path.cwd() == project
    assert loaded.name == "hello" and loaded("y") == "hi y"


def test_from_source_git_repository_is_cloned_at_run_time(
    bare_repository, tmp_path, monkeypatch, client
):
    url = f"file://{bare_repository}"
    hello = Flow.from_source(url, "flows/hello.py:hello")
    deployment_id = hello.to_deployment("git-src").apply()
    stored = client.read_deployment(deployment_id)
    assert stored.pull_steps == [{"praefect.deployments.steps.git_clone": {"repository": url}}]

    run_dir = tmp_path / "worker"
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    run = run_deployment(deployment_id, timeout=0)
    loaded = load_flow_from_flow_run(run, client=client)
    assert Path.cwd() == run_dir / "flows"
    assert loaded("git") == "hi git"


def test_a_bare_repository_path_is_a_git_source(bare_repository):
    hello = Flow.from_source(str(bare_repository), "flows/hello.py:hello")
    assert hello._storage.pull_steps()[0]["praefect.deployments.steps.git_clone"]


def test_local_flow_deployment_runs_from_its_path(tmp_path, monkeypatch, client):
    project = _project(tmp_path / "project")
    monkeypatch.chdir(project)
    hello = load_flow_from_entrypoint("flows/hello.py:hello")
    deployment_id = hello.to_deployment("here").apply()
    assert client.read_deployment(deployment_id).entrypoint == "flows/hello.py:hello"
    monkeypatch.chdir(tmp_path)
    run = run_deployment(deployment_id, timeout=0)
    assert load_flow_from_flow_run(run, client=client)("p") == "hi p"
    assert Path.cwd() == project


def test_from_source_needs_a_file_and_function_entrypoint(tmp_path):
    with pytest.raises(ValueError, match="path/to/file.py:function"):
        Flow.from_source(str(tmp_path), "hello")


def test_flow_run_execute_loads_a_git_source_from_its_clone(
    bare_repository, tmp_path, monkeypatch, client
):
    from praefect import client as client_module
    from praefect.engine import execute

    url = f"file://{bare_repository}"
    deployment_id = Flow.from_source(url, "flows/hello.py:hello").to_deployment("exec").apply()
    run_dir = tmp_path / "worker"
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    run = run_deployment(deployment_id, timeout=0)
    orchestration_client = client_module.get_orchestration_client()
    loaded = execute.load_flow(orchestration_client.read_flow_run(run.id), client)
    assert Path.cwd() == run_dir / "flows"
    assert loaded("exec") == "hi exec"
