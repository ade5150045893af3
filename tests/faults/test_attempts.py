"""A run's attempts: a retried run is watched through the process of its current attempt (never
declared crashed while that process lives), no two attempts of a run execute its body at once,
and an attempt that was replaced cannot write its state any more.

Every flow body here appends ``start``/``end`` lines (attempt, pid, time) to a marks file, so
the test sees exactly which attempts ran and whether any two overlapped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running_server

FLOWS = textwrap.dedent(
    """
    import os
    import signal
    import time
    from pathlib import Path

    from praefect import flow, runtime, task

    MARKS = Path(os.environ["MARKS"])


    def mark(what):
        attempt = runtime.flow_run.run_count
        with MARKS.open("a") as out:
            out.write(f"{what} {attempt} {os.getpid()} {time.time()}\\n")


    @task
    def step(n):
        return n


    @flow
    def fails_first(seconds: float = 3.0):
        Path(os.environ["RUN_ID_FILE"]).write_text(str(runtime.flow_run.id))
        mark("start")
        time.sleep(seconds)  # the server's crash check looks at the run many times meanwhile
        step(1)
        if Path(os.environ["FAIL_WHILE"]).exists():
            raise RuntimeError("failing while the marker exists")
        mark("end")
        return "done"


    @flow(retries=2)
    def killed_first(seconds: float = 3.0):
        mark("start")
        if runtime.flow_run.run_count == 1:
            os.kill(os.getpid(), signal.SIGKILL)  # the infrastructure dies: a crash, retried
        time.sleep(seconds)
        step(1)
        mark("end")
        return "done"


    @flow
    def replaced():
        Path(os.environ["RUN_ID_FILE"]).write_text(str(runtime.flow_run.id))
        mark("start")
        if runtime.flow_run.run_count == 1:
            go = Path(os.environ["GO"])  # the test replaces this attempt meanwhile
            while not go.exists():
                time.sleep(0.05)
            time.sleep(0.5)  # the replaced attempt's heartbeats go on (every 0.1 s)
        step(1)
        step(2)
        mark("end")
        return "done"


    if __name__ == "__main__":
        fails_first()
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "attempt_flows.py").write_text(FLOWS)
    return project


@pytest.fixture
def server(
    cli_env: dict[str, str], tmp_path: Path, project: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """``praefect server start`` whose crash check runs five times a second; the environment
    of its clients."""
    env = {
        **cli_env,
        "PRAEFECT_SERVER_SERVICES_CRASHED_RUNS_LOOP_SECONDS": "0.2",
        "MARKS": str(tmp_path / "marks"),
        "RUN_ID_FILE": str(tmp_path / "run_id"),
        "FAIL_WHILE": str(tmp_path / "fail"),
        "GO": str(tmp_path / "go"),
    }
    with running_server(env, log=tmp_path / "server.log") as (_, api):
        yield api, {**env, "PRAEFECT_API_URL": api}


def _praefect(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "praefect.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _marks(env: dict[str, str]) -> list[tuple[str, int, int, float]]:
    path = Path(env["MARKS"])
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(what, int(attempt), int(pid), float(at)) for what, attempt, pid, at in rows]


def _assert_attempts_never_overlap(marks: list[tuple[str, int, int, float]]) -> None:
    """Each attempt's body started after the one before it ended (or its process died)."""
    running: set[int] = set()
    for what, _attempt, pid, _at in marks:
        if what == "start":
            alive = {p for p in running if _alive(p)}
            assert not alive, f"a body started while attempt(s) in pid {alive} still ran: {marks}"
            running.add(pid)
        else:
            running.discard(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _history(api: str, run_id: str) -> list[str]:
    states = httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": run_id}).json()
    return [state["name"] for state in states]


def test_cli_retry_of_a_failed_run_completes_and_is_never_marked_crashed(server, project):
    api, env = server
    Path(env["FAIL_WHILE"]).touch()
    first = subprocess.run(
        [sys.executable, "attempt_flows.py"], env=env, cwd=project, capture_output=True, text=True
    )
    assert first.returncode == 1, first.stderr
    run_id = Path(env["RUN_ID_FILE"]).read_text()
    assert httpx.get(f"{api}/flow_runs/{run_id}").json()["state"]["type"] == "FAILED"

    Path(env["FAIL_WHILE"]).unlink()
    retried = _praefect("flow-run", "retry", run_id, env=env, cwd=project)

    assert retried.returncode == 0, f"{retried.stdout}\n{retried.stderr}"
    assert "finished in state Completed" in retried.stdout
    run = httpx.get(f"{api}/flow_runs/{run_id}").json()
    assert (run["state"]["type"], run["run_count"]) == ("COMPLETED", 2)
    assert "Crashed" not in _history(api, run_id)
    marks = _marks(env)
    assert [(what, attempt) for what, attempt, _, _ in marks] == [
        ("start", 1),
        ("start", 2),
        ("end", 2),
    ]
    _assert_attempts_never_overlap(marks)


def test_a_worker_retry_after_a_kill_runs_once_and_completes_while_the_crash_check_runs(
    server, project, tmp_path
):
    api, env = server
    assert _praefect("work-pool", "create", "local", env=env, cwd=project).returncode == 0
    deployed = _praefect(
        "deploy", "./attempt_flows.py:killed_first", "-n", "retried", "--pool", "local",
        env=env, cwd=project,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    deployment = httpx.get(f"{api}/deployments/name/killed-first/retried").json()
    created = httpx.post(
        f"{api}/deployments/{deployment['id']}/create_flow_run",
        json={"empirical_policy": {"retries": 2}},
    )
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]

    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "praefect.cli", "worker", "start", "--pool", "local"],
            env=env, cwd=project, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        run = _wait_until_final(api, run_id, timeout=120)
        time.sleep(1.0)  # a stray attempt would have started by now
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)

    history = _history(api, run_id)
    log = (tmp_path / "worker.log").read_text()
    assert run["state"]["type"] == "COMPLETED", (history, run["state"]["message"], log[-3000:])
    # attempt 1 was killed (Crashed, then AwaitingRetry); attempt 2 was never declared dead
    assert history.count("Crashed") <= 1 and history[-1] == "Completed", history
    marks = _marks(env)
    assert [(what, attempt) for what, attempt, _, _ in marks] == [
        ("start", 1),
        ("start", 2),
        ("end", 2),
    ], marks
    _assert_attempts_never_overlap(marks)


def _wait_until_final(api: str, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = httpx.get(f"{api}/flow_runs/{run_id}").json()
        if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        assert time.monotonic() < deadline, f"run still {run['state']}"
        time.sleep(0.2)


def test_a_stale_attempt_cannot_write_its_state_and_stops(server, project):
    """An attempt declared crashed while alive (its heartbeat looked stale) and retried: the old
    process's final state is refused, with the reason, and it does not report Completed."""
    api, env = server
    Path(env["FAIL_WHILE"]).unlink(missing_ok=True)
    stale = subprocess.Popen(
        [sys.executable, "-c", "import attempt_flows; attempt_flows.fails_first(seconds=8)"],
        env=env, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        run_id_file = Path(env["RUN_ID_FILE"])
        deadline = time.monotonic() + 60
        while not run_id_file.exists() or not _marks(env):
            assert stale.poll() is None and time.monotonic() < deadline, stale.communicate()[0]
            time.sleep(0.1)
        run_id = run_id_file.read_text()
        # what the crash check does when it gives up on a process: Crashed, by another process
        set_state = f"{api}/flow_runs/{run_id}/set_state"
        crashed = {"type": "CRASHED", "message": "Declared dead (test)."}
        assert httpx.post(set_state, json={"state": crashed}).json()["status"] == "ACCEPT"
        retried = _praefect("flow-run", "retry", run_id, env=env, cwd=project)
        assert retried.returncode == 0, f"{retried.stdout}\n{retried.stderr}"
        output = stale.communicate(timeout=60)[0]
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.wait()

    assert stale.returncode != 0
    assert "Attempt 1 of this flow run is stale: attempt 2 started since" in output
    run = httpx.get(f"{api}/flow_runs/{run_id}").json()
    assert (run["state"]["type"], run["run_count"]) == ("COMPLETED", 2)
    history = _history(api, run_id)
    assert history.count("Completed") == 1, history


def test_a_replaced_attempt_cannot_write_task_runs_or_heartbeats(server, project):
    """An attempt replaced by a newer one (declared crashed while alive, then retried) goes on
    running tasks and beating: none of its task-run states after the new attempt began is
    recorded, its heartbeats no longer move the run's, and every history is a valid path."""
    from praefect.cli._verify_checks import invalid_step

    api, env = server
    stale = subprocess.Popen(
        [sys.executable, "-c", "import attempt_flows; attempt_flows.replaced()"],
        env={**env, "PRAEFECT_HEARTBEAT_SECONDS": "0.1"}, cwd=project,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        run_id_file = Path(env["RUN_ID_FILE"])
        deadline = time.monotonic() + 60
        while not run_id_file.exists() or not _marks(env):
            assert stale.poll() is None and time.monotonic() < deadline, stale.communicate()[0]
            time.sleep(0.1)
        run_id = run_id_file.read_text()
        crashed = {"type": "CRASHED", "message": "Declared dead (test)."}
        httpx.post(f"{api}/flow_runs/{run_id}/set_state", json={"state": crashed})
        retried = _praefect("flow-run", "retry", run_id, env=env, cwd=project)
        assert retried.returncode == 0, f"{retried.stdout}\n{retried.stderr}"
        beat = httpx.get(f"{api}/flow_runs/{run_id}").json()["heartbeat"]
        Path(env["GO"]).touch()  # the replaced attempt runs its tasks now
        output = stale.communicate(timeout=60)[0]
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.wait()

    assert stale.returncode != 0 and "Attempt 1 of this flow run is stale" in output, output
    assert [(what, attempt) for what, attempt, _, _ in _marks(env)] == [
        ("start", 1),
        ("start", 2),
        ("end", 2),
        ("end", 1),
    ]
    run = httpx.get(f"{api}/flow_runs/{run_id}").json()
    assert (run["state"]["type"], run["run_count"]) == ("COMPLETED", 2)
    assert run["heartbeat"] == beat
    body = {"flow_runs": {"id": {"any_": [run_id]}}}
    tasks = httpx.post(f"{api}/task_runs/filter", json=body).json()
    assert sorted((t["name"].split("-")[0], t["flow_run_run_count"]) for t in tasks) == [
        ("step", 2),
        ("step", 2),
    ]
    histories = [_states(api, "flow_run", run_id)]
    histories += [_states(api, "task_run", task["id"]) for task in tasks]
    for history in histories:
        assert invalid_step(history) is None, [state.name for state in history]
    assert [state.name for state in histories[1]] == ["Pending", "Running", "Completed"]


def _states(api: str, kind: str, run_id: str) -> list[Any]:
    from praefect.schemas.states import State, StateType

    answer = httpx.get(f"{api}/{kind}_states/", params={f"{kind}_id": run_id}).json()
    return [State(StateType(state["type"]), name=state["name"]) for state in answer]
