"""What ``make run`` does: run ``examples/hello_flow.py`` as a script, then list its runs."""

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
