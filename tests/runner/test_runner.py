"""The runner behind ``flow.serve()``: it runs the due runs of the deployments it serves, each
in a real subprocess, and stops the ones cancelled."""

from __future__ import annotations

import threading

from praefect import states
from praefect.runner import Runner


def _deployment_of(read_run, run_id):  # type: ignore[no-untyped-def]
    return read_run(run_id)["deployment_id"]


def test_a_runner_runs_only_the_due_runs_of_its_deployments(new_pool, new_deployment_run, read_run):
    mine = new_deployment_run(None, "quick", {"n": 1})
    other = new_deployment_run(None, "report", {"out": "unused"})
    runner = Runner(name="test-runner", query_seconds=0.05, prefetch_seconds=0)
    runner.deployment_ids.add(_deployment_of(read_run, mine))
    runner.run_forever(run_once=True)
    assert read_run(mine)["state_name"] == "Completed"
    assert read_run(other)["state_name"] == "Scheduled"


def test_a_runner_kills_a_cancelled_runs_process_and_stops_cleanly(
    new_deployment_run, read_run, wait_for, tmp_path
):
    pid_file = tmp_path / "pid"
    run_id = new_deployment_run(None, "hang", {"pid_file": str(pid_file)})
    waiting = new_deployment_run(None, "hang", {"pid_file": str(tmp_path / "other")})
    runner = Runner(query_seconds=0.05, prefetch_seconds=0, kill_grace_seconds=0.3, limit=1)
    runner.deployment_ids.add(_deployment_of(read_run, run_id))
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    try:
        first = wait_for(run_id, lambda r: r["state_type"] == "RUNNING" and pid_file.exists())
        assert read_run(waiting)["state_name"] == "Scheduled"  # limit=1: it waits its turn
        runner._worker.client.set_flow_run_state(first["id"], states.Cancelling())
        wait_for(run_id, lambda r: r["state_type"] == "CANCELLED", timeout=15)
        second = wait_for(waiting, lambda r: r["state_type"] == "RUNNING", timeout=15)
    finally:
        runner.stop()
        thread.join(30)
    assert not thread.is_alive()
    stopped = read_run(second["id"])
    assert stopped["state_name"] == "Crashed" and "signal" in stopped["state"].message
