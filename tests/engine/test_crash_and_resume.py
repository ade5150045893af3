"""A flow whose process is killed mid-run is found Crashed, and a retry resumes it: tasks whose
results were persisted are not run again. Real processes, real SIGKILL, the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

PRAEFECT = str(Path(sys.executable).with_name("praefect"))

FLOW_FILE = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from praefect import flow, task
    from praefect.cache_policies import INPUTS

    WORK = Path(os.environ["WORK_DIR"])


    @task(cache_policy=INPUTS)
    def step(i: int) -> int:
        if i == 6 and not (WORK / "killed-once").exists():
            (WORK / "reached-6").write_text(str(os.getpid()))
            time.sleep(120)  # the test kills the process here
        with open(WORK / "executions.txt", "a") as fh:
            fh.write(f"{i}\\n")
        return i * 10


    @flow
    def ten_steps(n: int = 10) -> int:
        return sum(step(i) for i in range(1, n + 1))


    if __name__ == "__main__":
        ten_steps()
    """
)


def _env(home: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAEFECT_", "PREFECT_"))}
    env.update(PRAEFECT_HOME=str(home), WORK_DIR=str(work), PRAEFECT_LOGGING_LEVEL="WARNING")
    return env


def _completed_task_runs(home: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(home / "praefect.db", timeout=5) as conn:
            return conn.execute(
                "SELECT count(*) FROM task_run WHERE state_type = 'COMPLETED'"
            ).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _executions(work: Path) -> list[int]:
    path = work / "executions.txt"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_killed_flow_is_crashed_and_retry_runs_only_the_remaining_tasks(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    script = tmp_path / "ten_steps.py"
    script.write_text(FLOW_FILE)
    env = _env(home, work)

    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (work / "reached-6").exists():
            assert proc.poll() is None, "the flow process ended before reaching task 6"
            assert time.monotonic() < deadline, "task 6 was never reached"
            time.sleep(0.05)
        # the write-behind queue commits within milliseconds; kill once tasks 1-5 are stored so
        # the listing below is deterministic (records still queued at SIGKILL are lost, results
        # already written to storage are not)
        while _completed_task_runs(home) < 5:
            assert time.monotonic() < deadline, "tasks 1-5 were never recorded"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _executions(work) == [1, 2, 3, 4, 5]

    listing = subprocess.run(
        [PRAEFECT, "flow-run", "ls", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    [run] = json.loads(listing.stdout)
    assert run["state_type"] == "CRASHED", run
    assert "pid" in (run["state"]["message"] or ""), run["state"]
    task_listing = subprocess.run(
        [PRAEFECT, "task-run", "ls", "--flow-run-id", run["id"], "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    by_state = sorted(t["state_type"] for t in json.loads(task_listing.stdout))
    # tasks 1-5 finished, task 6 was running when the process died: it crashed with it
    assert by_state == ["COMPLETED"] * 5 + ["CRASHED"], by_state

    (work / "killed-once").write_text("")
    retry = subprocess.run(
        [PRAEFECT, "flow-run", "retry", run["id"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert "Completed" in retry.stdout
    assert _executions(work) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

    inspect = subprocess.run(
        [PRAEFECT, "flow-run", "inspect", run["id"], "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    details = json.loads(inspect.stdout)
    names = [s["name"] for s in details["state_history"]]
    assert names[:2] == ["Pending", "Running"] and "Crashed" in names
    assert names[-1] == "Completed" and details["run_count"] == 2
    assert details["id"] == run["id"]


def test_retry_refuses_a_run_that_did_not_fail(tmp_path: Path) -> None:
    from praefect import flow
    from praefect.flow_runs import retry_flow_run

    @flow
    def fine() -> int:
        return 1

    state = fine(return_state=True)
    with pytest.raises(ValueError, match="only Failed, Crashed or Cancelled"):
        retry_flow_run(state.state_details["flow_run_id"])


def test_retry_of_a_failed_run_reruns_it_in_place(tmp_path: Path) -> None:
    script = tmp_path / "flaky.py"
    marker = tmp_path / "fixed"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from praefect import flow

            @flow
            def flaky(x: int) -> int:
                if not Path({str(marker)!r}).exists():
                    raise RuntimeError("not yet")
                return x * 2
            """
        )
    )
    from praefect.flow_runs import load_flow_from_entrypoint, retry_flow_run

    flaky = load_flow_from_entrypoint(f"{script}:flaky")
    failed = flaky(21, return_state=True)
    assert failed.is_failed()
    marker.write_text("")
    state = retry_flow_run(failed.state_details["flow_run_id"])
    assert state.is_completed() and state.result() == 42
    assert state.state_details["flow_run_id"] == failed.state_details["flow_run_id"]
