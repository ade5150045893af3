"""``praefect flow-run ls | inspect | logs`` on a store where real flows ran."""

from __future__ import annotations

import uuid


def _lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


# -- ls ----------------------------------------------------------------------------------------


def test_ls_shows_the_runs_of_a_script_with_flow_names_and_states(cli, recorded):
    result = cli("flow-run", "ls")
    assert result.code == 0, result.output
    etl_line = _lines_with(result.stdout, recorded.etl)
    broken_line = _lines_with(result.stdout, recorded.broken)
    child_line = _lines_with(result.stdout, recorded.child)
    assert etl_line and "cli-etl" in etl_line[0] and "Completed" in etl_line[0]
    assert broken_line and "cli-broken" in broken_line[0] and "Failed" in broken_line[0]
    assert child_line and "cli-child" in child_line[0] and "Completed" in child_line[0]


def test_ls_lists_newest_first(invoke, recorded):
    out = invoke("flow-run", "ls").stdout
    assert out.index(recorded.broken) < out.index(recorded.etl)


def test_ls_filters_by_state_type_case_insensitively(invoke, recorded):
    result = invoke("flow-run", "ls", "--state", "failed")
    assert result.code == 0, result.output
    assert recorded.broken in result.stdout
    assert recorded.etl not in result.stdout and recorded.child not in result.stdout


def test_ls_filters_by_state_name_and_ors_several_states(invoke, recorded):
    completed = invoke("flow-run", "ls", "--state", "Completed").stdout
    assert recorded.etl in completed and recorded.broken not in completed
    both = invoke("flow-run", "ls", "--state", "COMPLETED", "--state", "Failed").stdout
    assert all(i in both for i in (recorded.etl, recorded.child, recorded.broken))
    mixed = invoke("flow-run", "ls", "--state", "failed", "--state", "late").stdout
    assert recorded.broken in mixed and recorded.etl not in mixed


def test_ls_with_an_unknown_state_names_it_and_lists_valid_ones(invoke):
    result = invoke("flow-run", "ls", "--state", "Finished")
    assert result.code == 1
    assert "'Finished'" in result.stderr
    assert "COMPLETED" in result.stderr and "AwaitingRetry" in result.stderr


def test_ls_filters_by_flow_name(invoke, recorded):
    out = invoke("flow-run", "ls", "--flow-name", "cli-child").stdout
    assert recorded.child in out and recorded.etl not in out and recorded.broken not in out
    both = invoke("flow-run", "ls", "--flow-name", "cli-child", "--flow-name", "cli-broken").stdout
    assert recorded.child in both and recorded.broken in both and recorded.etl not in both


def test_ls_limit(invoke, recorded):
    out = invoke("flow-run", "ls", "--limit", "1", "--output", "json").json()
    assert [run["id"] for run in out] == [recorded.broken]


def test_ls_json_is_parseable_with_the_run_fields(cli, recorded):
    result = cli("flow-run", "ls", "-o", "json")
    assert result.code == 0, result.output
    runs = {run["id"]: run for run in result.json()}
    assert set(runs) == {recorded.etl, recorded.child, recorded.broken}
    etl = runs[recorded.etl]
    assert etl["flow_name"] == "cli-etl"
    assert etl["state_type"] == "COMPLETED" and etl["state_name"] == "Completed"
    assert etl["parameters"] == {"n": 3}
    assert runs[recorded.broken]["state_type"] == "FAILED"
    assert isinstance(etl["name"], str) and etl["name"]


def test_ls_on_an_empty_store_says_so(invoke, tmp_path):
    result = invoke("flow-run", "ls", home=tmp_path)
    assert result.code == 0
    assert "No flow runs found" in result.stdout
    assert invoke("flow-run", "ls", "-o", "json", home=tmp_path).json() == []


def test_unsupported_output_format_is_an_error(invoke):
    result = invoke("flow-run", "ls", "--output", "yaml")
    assert result.code == 1
    assert "'yaml'" in result.stderr and "json" in result.stderr


# -- inspect -----------------------------------------------------------------------------------


def test_inspect_shows_state_history_parameters_and_task_runs(invoke, recorded):
    result = invoke("flow-run", "inspect", recorded.etl)
    assert result.code == 0, result.output
    out = result.stdout
    assert recorded.etl in out and "cli-etl" in out
    assert "State history" in out
    assert _lines_with(out, "Running") and _lines_with(out, "Completed")
    assert '"n": 3' in out
    task_line = _lines_with(out, "Task runs")[0]
    assert "Completed" in task_line


def test_inspect_json_has_history_and_task_run_count(invoke, recorded):
    result = invoke("flow-run", "inspect", recorded.etl, "--output", "json")
    assert result.code == 0, result.output
    run = result.json()
    assert run["id"] == recorded.etl and run["flow_name"] == "cli-etl"
    types = [s["type"] for s in run["state_history"]]
    assert types[-1] == "COMPLETED" and "RUNNING" in types
    # three mapped `double` runs and `flaky`; a subflow may add its own wrapper task run
    assert run["task_run_count"] >= 4
    assert run["task_run_states"]["Completed"] == run["task_run_count"]


def test_inspect_failed_run_shows_the_failure_message(invoke, recorded):
    run = invoke("flow-run", "inspect", recorded.broken, "-o", "json").json()
    assert run["state_type"] == "FAILED"
    assert "boom-marker" in (run["state"]["message"] or "")


def test_inspect_rejects_a_malformed_id(cli):
    result = cli("flow-run", "inspect", "not-a-uuid")
    assert result.code == 1
    assert "'not-a-uuid' is not a valid flow run id" in result.stderr
    assert "Traceback" not in result.output


def test_inspect_reports_an_unknown_id(invoke):
    missing = str(uuid.uuid4())
    result = invoke("flow-run", "inspect", missing)
    assert result.code == 1
    assert f"Flow run '{missing}' not found" in result.stderr


# -- logs --------------------------------------------------------------------------------------


def test_logs_show_time_level_task_and_message_in_order(cli, recorded):
    result = cli("flow-run", "logs", recorded.etl)
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    start = _lines_with(result.stdout, "etl-start-marker")
    assert start and "INFO" in start[0]
    doubling = _lines_with(result.stdout, "doubling")
    assert len(doubling) == 3 and all("double" in line.split("doubling")[0] for line in doubling)
    recovered = _lines_with(result.stdout, "flaky-recovered-marker")
    assert recovered and "flaky" in recovered[0].split("flaky-recovered-marker")[0]
    assert lines.index(start[0]) < lines.index(_lines_with(result.stdout, "etl-end-marker")[0])
    # A subflow's logs belong to the subflow's run, not to the parent's.
    assert not _lines_with(result.stdout, "child-warning-marker")


def test_logs_of_the_subflow_and_of_a_failed_run(invoke, recorded):
    child = invoke("flow-run", "logs", recorded.child).stdout
    assert "WARNING" in _lines_with(child, "child-warning-marker")[0]
    broken = invoke("flow-run", "logs", recorded.broken).stdout
    assert "ERROR" in _lines_with(broken, "about-to-fail-marker")[0]


def test_logs_head_tail_and_reverse(invoke, recorded):
    def ids(*options: str) -> list[str]:
        return [
            log["id"]
            for log in invoke("flow-run", "logs", recorded.etl, *options, "-o", "json").json()
        ]

    every = ids()
    assert len(every) >= 5
    assert ids("--head", "-n", "2") == every[:2]
    assert ids("-n", "1") == every[:1]
    assert ids("--tail", "-n", "2") == every[-2:]
    assert ids("--tail", "--reverse", "-n", "2") == every[-2:][::-1]
    assert ids("--reverse") == every[::-1]
    assert ids("-r", "-n", "1") == every[-1:]
    assert ids("--head") == every[:20]
    first_line = invoke("flow-run", "logs", recorded.etl, "--head", "-n", "1").stdout.splitlines()
    assert len(first_line) == 1 and "Beginning flow run" in first_line[0]


def test_logs_head_and_tail_together_is_an_error(invoke, recorded):
    result = invoke("flow-run", "logs", recorded.etl, "--head", "--tail")
    assert result.code == 1 and "--head or --tail" in result.stderr


def test_logs_json(invoke, recorded):
    logs = invoke("flow-run", "logs", recorded.etl, "-o", "json").json()
    messages = [log["message"] for log in logs]
    assert "etl-start-marker" in messages
    start = logs[messages.index("etl-start-marker")]
    assert start["level"] == 20 and start["level_name"] == "INFO"
    assert start["flow_run_id"] == recorded.etl


def test_logs_of_an_unknown_run_is_an_error(invoke):
    result = invoke("flow-run", "logs", str(uuid.uuid4()))
    assert result.code == 1 and "not found" in result.stderr
    assert invoke("flow-run", "logs", "123").code == 1


def test_ls_shows_what_ran_and_scheduled_lists_the_upcoming_runs_soonest_first(invoke, tmp_path):
    import datetime as dt

    from praefect import flow, get_client, settings
    from praefect.states import Scheduled

    @flow(name="ran-once")
    def ran_once() -> int:
        return 1

    now = dt.datetime.now(dt.UTC)
    updates = {"home": tmp_path, "database_url": None, "api_url": None}
    with settings.temporary_settings(updates, process_wide=True):
        ran_once()
        with get_client(sync_client=True) as client:
            later = client.create_flow_run(
                ran_once, name="in-two-days", state=Scheduled(scheduled_time=now + dt.timedelta(2))
            )
            sooner = client.create_flow_run(
                ran_once, name="tomorrow", state=Scheduled(scheduled_time=now + dt.timedelta(1))
            )
    history = invoke("flow-run", "ls", home=tmp_path)
    assert history.code == 0, history.output
    assert "ran-once" in history.stdout and "Completed" in history.stdout
    assert str(later.id) not in history.stdout and str(sooner.id) not in history.stdout
    assert "When" in history.stdout

    upcoming = invoke("flow-run", "ls", "--scheduled", home=tmp_path)
    assert upcoming.code == 0, upcoming.output
    assert "Completed" not in upcoming.stdout
    assert upcoming.stdout.index(str(sooner.id)) < upcoming.stdout.index(str(later.id))
    tomorrow = (now + dt.timedelta(1)).astimezone().strftime("%Y-%m-%d")
    assert tomorrow in _lines_with(upcoming.stdout, str(sooner.id))[0]  # the When column

    both = invoke("flow-run", "ls", "--scheduled", "--state", "failed", home=tmp_path)
    assert both.code == 1 and "--scheduled or --state" in both.output
