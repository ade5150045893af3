"""What ``make run`` runs first: the examples, as scripts; then their runs are listed."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_hello_flow_example_runs_and_is_listed(run_script, run_cli, praefect_home):
    script = run_script(EXAMPLES / "hello_flow.py", home=praefect_home)
    assert script.code == 0, script.output
    assert "will retry" in script.stderr  # the first extract attempt fails, the retry recovers

    listed = run_cli("flow-run", "ls", "-o", "json", home=praefect_home)
    assert listed.code == 0, listed.output
    runs = {run["flow_name"]: run for run in listed.json()}
    assert set(runs) == {"hello-etl", "load"}
    assert all(run["state_name"] == "Completed" for run in runs.values())
    assert runs["hello-etl"]["parameters"] == {"n": 5}

    logs = run_cli("flow-run", "logs", runs["hello-etl"]["id"], home=praefect_home).stdout
    assert "Extracted 5 records on attempt 2" in logs
    assert "total of squares = 55" in logs


def test_pipeline_example_records_a_task_graph_and_one_failed_run(
    run_script, run_cli, praefect_home
):
    script = run_script(EXAMPLES / "pipeline_dag.py", home=praefect_home)
    assert script.code == 0, script.output

    listed = run_cli("flow-run", "ls", "-o", "json", home=praefect_home).json()
    assert sorted(run["state_name"] for run in listed) == ["Completed"] * 3 + ["Failed"]
    assert {run["parameters"]["batch"] for run in listed} == {1, 2, 3, 4}

    completed = next(run for run in listed if run["state_name"] == "Completed")
    tasks = run_cli(
        "task-run", "ls", "--flow-run-id", completed["id"], "-o", "json", home=praefect_home
    ).json()
    assert len(tasks) == 9  # 3 fetch, 3 clean, join, score, report
    join = next(task for task in tasks if task["name"].startswith("join"))
    upstream = {ref["id"] for refs in join["task_inputs"].values() for ref in refs}
    cleans = {task["id"] for task in tasks if task["name"].startswith("clean")}
    assert upstream == cleans  # the graph's edges: join depends on the three clean tasks
