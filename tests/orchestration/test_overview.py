import datetime as dt
import uuid

import pytest

from praefect import database, orchestration
from praefect.schemas import filters
from praefect.schemas.queries import FlowRunCriteria
from praefect.schemas.states import State, now_utc


def _page(engine, flow_filter=None, flow_run_filter=None, **kwargs):
    criteria = FlowRunCriteria(flows=flow_filter, flow_runs=flow_run_filter)
    return database.read(engine, lambda conn: orchestration.overview.page(conn, criteria, **kwargs))


def test_keyset_pages_walk_every_run_once_newest_first(engine, new_run):
    t0 = now_utc() - dt.timedelta(hours=1)
    # two runs share a creation time: the id breaks the tie, so neither is lost between pages
    made = [new_run(created=t0 + dt.timedelta(seconds=i // 2)) for i in range(7)]
    seen, cursor = [], None
    while True:
        found = _page(engine, limit=3, after=cursor)
        seen.extend(run["id"] for run in found.runs)
        cursor = found.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    created = [r["created"] for r in _page(engine, limit=10).runs]
    assert created == sorted(created, reverse=True)


def test_page_applies_state_flow_and_time_filters(engine, new_run):
    old = now_utc() - dt.timedelta(days=3)
    new_run(State("FAILED"), flow_name="etl")
    new_run(State("COMPLETED"), flow_name="etl")
    new_run(State("FAILED"), flow_name="other")
    new_run(State("FAILED"), flow_name="etl", created=old)
    failed = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=["FAILED"]))
    )
    etl = database.read(engine, lambda conn: orchestration.flows.read_by_name(conn, "etl"))
    of_etl = filters.FlowFilter(id=filters.FlowFilterId(any_=[etl["id"]]))
    found = _page(
        engine,
        flow_filter=of_etl,
        flow_run_filter=failed,
        created_after=now_utc() - dt.timedelta(days=1),
    )
    assert [(r["flow_name"], r["state_type"]) for r in found.runs] == [("etl", "FAILED")]


def test_a_cursor_that_is_not_one_is_refused_with_its_value(engine):
    with pytest.raises(ValueError, match="Invalid page cursor 'nonsense'"):
        _page(engine, after="nonsense")


def test_runs_by_state_counts_runs_per_time_slice(engine, new_run):
    until = now_utc()
    since = until - dt.timedelta(hours=4)
    new_run(State("COMPLETED"), created=since + dt.timedelta(minutes=10))  # slice 0
    new_run(State("COMPLETED"), created=since + dt.timedelta(minutes=20))  # slice 0
    new_run(State("FAILED"), created=since + dt.timedelta(hours=3, minutes=5))  # slice 3
    new_run(State("FAILED"), created=since - dt.timedelta(minutes=5))  # before the range
    history = database.read(
        engine, lambda conn: orchestration.overview.runs_by_state(conn, since, until, buckets=4)
    )
    assert history["width"] == pytest.approx(3600)
    assert history["counts"] == {"COMPLETED": [2, 0, 0, 0], "FAILED": [0, 0, 0, 1]}


def test_state_counts_and_failures_cover_the_last_day(engine, new_run):
    day_ago = now_utc() - dt.timedelta(days=1)
    new_run(State("COMPLETED"))
    crashed = new_run(State("CRASHED"))
    new_run(State("FAILED"), created=day_ago - dt.timedelta(hours=1))
    counts = database.read(engine, lambda conn: orchestration.overview.state_counts(conn, day_ago))
    assert counts == {"COMPLETED": 1, "CRASHED": 1}
    failed = database.read(engine, lambda conn: orchestration.overview.failed_runs(conn, day_ago))
    assert [r["id"] for r in failed] == [crashed]


def test_late_runs_are_scheduled_runs_past_their_start_time(engine, new_run):
    now = now_utc()
    overdue = new_run(
        State("SCHEDULED", state_details={"scheduled_time": now - dt.timedelta(minutes=5)})
    )
    new_run(State("SCHEDULED", state_details={"scheduled_time": now + dt.timedelta(minutes=5)}))
    new_run(State("SCHEDULED", state_details={"scheduled_time": now - dt.timedelta(seconds=2)}))
    late = database.read(engine, lambda conn: orchestration.overview.late_runs(conn, now))
    assert [r["id"] for r in late] == [overdue]
    assert late[0]["flow_name"] == "flow"


def test_page_of_an_unknown_flow_is_empty(engine, new_run):
    new_run()
    of_nothing = filters.FlowFilter(id=filters.FlowFilterId(any_=[uuid.uuid4()]))
    assert _page(engine, flow_filter=of_nothing).runs == []


def test_newest_flow_run_change_sees_creations_and_state_changes(engine, new_run, propose):
    before = now_utc() - dt.timedelta(seconds=1)
    newest = lambda after: database.read(  # noqa: E731
        engine, lambda conn: orchestration.overview.newest_flow_run_change(conn, after)
    )
    assert newest(before) is None
    run = new_run(State("PENDING"))
    created = newest(before)
    assert created is not None and created > before
    propose(run, State("RUNNING"))
    assert newest(created) > created


def test_subflows_and_task_runs_of_a_flow_run(engine, new_run):
    parent = new_run(State("RUNNING"))
    task_id = uuid.uuid4()
    row = {
        "id": task_id,
        "name": "child-task",
        "flow_run_id": parent,
        "task_key": "k",
        "dynamic_key": "0",
        "task_inputs": {},
    }
    database.write(
        engine, lambda conn: orchestration.task_runs.write_batch(conn, [(row, State("RUNNING"))])
    )
    child = new_run(State("COMPLETED"), parent_task_run_id=task_id, flow_name="sub")
    new_run(State("COMPLETED"))  # not a subflow
    subflows = database.read(engine, lambda conn: orchestration.overview.subflow_runs(conn, parent))
    assert [(r["id"], r["flow_name"]) for r in subflows] == [(child, "sub")]
    tasks = database.read(engine, lambda conn: orchestration.overview.task_runs_of(conn, parent))
    assert [(t["name"], t["state_type"]) for t in tasks] == [("child-task", "RUNNING")]
    later = database.read(
        engine,
        lambda conn: orchestration.overview.task_runs_of(conn, parent, tasks[0]["updated"]),
    )
    assert later == []
