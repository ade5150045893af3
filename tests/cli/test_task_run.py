"""``praefect task-run ls | inspect | logs`` on a store where real flows ran."""

from __future__ import annotations

import uuid


def test_ls_for_a_flow_run_shows_its_task_runs(invoke, recorded):
    result = invoke("task-run", "ls", "--flow-run-id", recorded.etl, "--limit", "50")
    assert result.code == 0, result.output
    doubles = [line for line in result.stdout.splitlines() if "double" in line]
    assert len(doubles) == 3
    assert all("Completed" in line and "cli-etl" not in line.split("double")[0] for line in doubles)
    assert recorded.flaky_task_run in result.stdout


def test_ls_json_has_the_task_run_fields(invoke, recorded):
    task_runs = invoke("task-run", "ls", "--flow-run-id", recorded.etl, "-o", "json").json()
    assert all(t["flow_run_id"] == recorded.etl for t in task_runs)
    flaky = next(t for t in task_runs if t["id"] == recorded.flaky_task_run)
    assert flaky["state_type"] == "COMPLETED"
    assert flaky["run_count"] == 2
    assert flaky["flow_run_name"]


def test_ls_limit_and_state_filter(invoke, recorded):
    assert len(invoke("task-run", "ls", "--limit", "2", "-o", "json").json()) == 2
    failed = invoke("task-run", "ls", "--state", "failed", "-o", "json").json()
    assert all(t["state_type"] == "FAILED" for t in failed)
    bad = invoke("task-run", "ls", "--state", "nope")
    assert bad.code == 1 and "'nope'" in bad.stderr


def test_ls_with_a_malformed_flow_run_id_is_an_error(invoke):
    result = invoke("task-run", "ls", "--flow-run-id", "xyz")
    assert result.code == 1 and "'xyz' is not a valid flow run id" in result.stderr


def test_inspect_shows_the_retry_in_the_state_history(invoke, recorded):
    result = invoke("task-run", "inspect", recorded.flaky_task_run)
    assert result.code == 0, result.output
    assert "State history" in result.stdout
    assert "Completed" in result.stdout
    assert "flaky-first-attempt" in result.stdout or "Retrying" in result.stdout


def test_inspect_json(invoke, recorded):
    task_run = invoke("task-run", "inspect", recorded.flaky_task_run, "-o", "json").json()
    assert task_run["id"] == recorded.flaky_task_run
    assert task_run["run_count"] == 2
    types = [s["type"] for s in task_run["state_history"]]
    assert types[-1] == "COMPLETED" and types.count("RUNNING") >= 2


def test_inspect_unknown_and_malformed_ids(invoke):
    missing = str(uuid.uuid4())
    result = invoke("task-run", "inspect", missing)
    assert result.code == 1 and f"Task run '{missing}' not found" in result.stderr
    assert invoke("task-run", "inspect", "nope").code == 1


def test_logs_of_a_task_run(invoke, recorded):
    out = invoke("task-run", "logs", recorded.flaky_task_run).stdout
    assert "flaky-recovered-marker" in out
    assert "doubling" not in out
