"""The small helpers behind the CLI's output: durations, states, ids, JSON."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import typer

from praefect.cli import _common


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0.0, "0.00s"),
        (1.234, "1.23s"),
        (12.34, "12.3s"),
        (125, "2m 05s"),
        (7380, "2h 03m"),
    ],
)
def test_durations_are_short_and_readable(seconds, shown):
    assert _common.format_duration(seconds) == shown


def test_states_split_into_types_and_names_case_insensitively():
    assert _common.parse_states(["completed", "LATE", "awaitingretry", "Completed"]) == (
        ["COMPLETED"],
        ["Late", "AwaitingRetry"],
    )
    assert _common.parse_states(None) == ([], [])


def test_an_unknown_state_exits_with_code_1(capsys):
    with pytest.raises(typer.Exit) as exit_info:
        _common.parse_states(["Done"])
    assert exit_info.value.exit_code == 1
    assert "'Done'" in capsys.readouterr().err


def test_ids_are_parsed_or_refused():
    value = uuid.uuid4()
    assert _common.parse_id(f" {value} ", "flow run") == value
    with pytest.raises(typer.Exit):
        _common.parse_id("12", "flow run")


def test_running_duration_counts_from_the_start():
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    run = {"state_type": "RUNNING", "start_time": start, "total_run_time": 0}
    assert 4.5 < _common.run_duration(run) < 60


def test_finished_duration_uses_total_run_time_or_the_end_time():
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert (
        _common.run_duration({"state_type": "COMPLETED", "total_run_time": dt.timedelta(seconds=3)})
        == 3
    )
    run = {"state_type": "FAILED", "start_time": start, "end_time": start + dt.timedelta(seconds=2)}
    assert _common.run_duration(run) == 2
    assert _common.run_duration({"state_type": "PENDING"}) is None


def test_jsonable_handles_ids_times_enums_and_states():
    from praefect.states import Completed

    value = uuid.uuid4()
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    data = _common.to_jsonable(
        {"id": value, "at": when, "took": dt.timedelta(seconds=1.5), "state": Completed()}
    )
    assert data["id"] == str(value) and data["at"] == when.isoformat() and data["took"] == 1.5
    assert data["state"]["type"] == "COMPLETED" and data["state"]["name"] == "Completed"
