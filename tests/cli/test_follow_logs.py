"""``praefect flow-run logs --follow`` on a flow that is running in another process."""

from __future__ import annotations

import json


def test_follow_prints_lines_as_they_arrive_until_the_run_is_final(
    follow_running_flow, cli_env, tmp_path
):
    lines = follow_running_flow(cli_env, tmp_path / "signals")
    assert "Beginning flow run" in lines[0][1]


def test_follow_refuses_head_and_reverse(invoke, recorded):
    result = invoke("flow-run", "logs", recorded.etl, "--follow", "--head")
    assert result.code == 1 and "--follow cannot be combined" in result.stderr


def test_follow_a_finished_run_prints_its_logs_and_ends(invoke, recorded):
    result = invoke("flow-run", "logs", recorded.etl, "-f", "--interval", "0.05")
    assert result.code == 0, result.output
    full = invoke("flow-run", "logs", recorded.etl)
    assert result.stdout == full.stdout
    assert "is Completed; no more logs to follow" in result.stderr
    tail = invoke("flow-run", "logs", recorded.etl, "-f", "-t", "-n", "2", "--interval", "0.05")
    assert tail.stdout.splitlines() == full.stdout.splitlines()[-2:]
    as_json = invoke("flow-run", "logs", recorded.etl, "-f", "-o", "json", "--interval", "0.05")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    expected = invoke("flow-run", "logs", recorded.etl, "-o", "json").json()
    assert [r["id"] for r in records] == [r["id"] for r in expected]
    assert all(r["flow_run_id"] == recorded.etl for r in records)
