import datetime as dt
import uuid

import pytest

from praefect import database, orchestration
from praefect.database import tables
from praefect.schemas import filters, sorting
from praefect.schemas.queries import FlowRunCriteria, FlowRunQuery
from praefect.schemas.states import State, StateType, now_utc


def test_bookkeeping_counts_runs_and_times_running_periods(new_run, propose, read_run):
    t0 = now_utc()
    run = new_run(State("PENDING", timestamp=t0))
    propose(run, State("RUNNING", timestamp=t0 + dt.timedelta(seconds=1)))
    propose(run, State("COMPLETED", timestamp=t0 + dt.timedelta(seconds=3)))
    row = read_run(run)
    assert row["run_count"] == 1
    assert row["start_time"] == t0 + dt.timedelta(seconds=1)
    assert row["end_time"] == t0 + dt.timedelta(seconds=3)
    assert row["total_run_time"] == pytest.approx(2.0)
    assert row["expected_start_time"] == t0
    assert row["state"].is_completed()
    assert row["state"].state_details["flow_run_id"] == run


def test_scheduled_run_expects_to_start_at_its_scheduled_time(new_run, read_run):
    at = now_utc() + dt.timedelta(hours=1)
    run = new_run(State("SCHEDULED", state_details={"scheduled_time": at}))
    row = read_run(run)
    assert row["expected_start_time"] == at
    assert row["next_scheduled_start_time"] == at


def test_state_history_is_ordered_even_with_equal_timestamps(engine, new_run, propose):
    stamp = now_utc()
    run = new_run(State("PENDING", timestamp=stamp))
    propose(run, State("RUNNING", timestamp=stamp))
    propose(run, State("COMPLETED", timestamp=stamp))
    history = database.read(engine, lambda c: orchestration.flow_runs.read_states(c, run))
    assert [s.type for s in history] == [StateType.PENDING, StateType.RUNNING, StateType.COMPLETED]


def test_every_accepted_transition_writes_an_event(engine, new_run, propose):
    run = new_run(State("PENDING"), tags=["nightly"])
    propose(run, State("RUNNING"))
    propose(run, State("PENDING"))  # aborted: no event
    events = database.read(
        engine,
        lambda c: orchestration.events.read_many(c, resource_id=f"prefect.flow-run.{run}"),
    )
    assert [e["event"] for e in events] == [
        "prefect.flow-run.Pending",
        "prefect.flow-run.Running",
    ]
    last = events[-1]
    assert last["payload"]["intended"] == {"from": "PENDING", "to": "RUNNING"}
    assert last["resource"]["prefect.state-type"] == "RUNNING"
    assert last["resource"]["prefect.state-name"] == "Running"
    assert last["resource"]["prefect.run-count"] == "1"
    assert last["follows"] == events[0]["id"]  # Prefect's ordering hint: the state before
    roles = {r["prefect.resource.role"] for r in last["related"]}
    assert roles == {"flow", "tag"}
    assert last["related"][-1] == {
        "prefect.resource.id": "prefect.tag.nightly",
        "prefect.resource.role": "tag",
    }


def test_update_changes_plain_fields_and_refuses_others(engine, new_run, read_run):
    run = new_run()
    database.write(
        engine, lambda c: orchestration.flow_runs.update(c, run, name="renamed", tags=["x"])
    )
    assert read_run(run)["name"] == "renamed"
    with pytest.raises(ValueError, match="state_type"):
        database.write(
            engine, lambda c: orchestration.flow_runs.update(c, run, state_type="RUNNING")
        )


def test_delete_removes_states_task_runs_and_logs(engine, new_run):
    run = new_run(State("RUNNING"))
    task = {"id": uuid.uuid4(), "name": "t", "flow_run_id": run, "task_key": "t"}
    log = {"name": "l", "level": 20, "message": "m", "timestamp": now_utc(), "flow_run_id": run}

    def fill(conn):
        orchestration.task_runs.write_batch(conn, [(task, State("RUNNING"))])
        orchestration.logs.write_batch(conn, [log])

    database.write(engine, fill)
    assert database.write(engine, lambda c: orchestration.flow_runs.delete(c, run))

    def leftovers(conn):
        return (
            orchestration.flow_runs.read_states(conn, run),
            orchestration.task_runs.read_states(conn, task["id"]),
            orchestration.task_runs.read(conn, task["id"]),
            orchestration.logs.read_many(conn),
        )

    assert database.read(engine, leftovers) == ([], [], None, [])
    assert not database.write(engine, lambda c: orchestration.flow_runs.delete(c, run))


def _read(engine, flow_filter=None, flow_run_filter=None, sort=None, limit=None):
    query = FlowRunQuery.of(flows=flow_filter, flow_runs=flow_run_filter, sort=sort, limit=limit)
    return database.read(engine, lambda c: orchestration.flow_runs.read_many(c, query))


def test_flow_runs_are_read_newest_first_by_default(engine, new_run):
    ids = [new_run() for _ in range(3)]
    assert [r["id"] for r in _read(engine)] == ids[::-1]


def test_flow_runs_filter_by_state_type_name_tags_and_flow(engine, new_run, propose):
    failed = new_run(State("RUNNING"), tags=["a", "b"], flow_name="etl")
    propose(failed, State("FAILED"))
    done = new_run(State("COMPLETED"), tags=["a"], flow_name="other")
    state_filter = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=["FAILED"]))
    )
    assert [r["id"] for r in _read(engine, flow_run_filter=state_filter)] == [failed]
    tags = filters.FlowRunFilter(tags=filters.FlowRunFilterTags(all_=["a", "b"]))
    assert [r["id"] for r in _read(engine, flow_run_filter=tags)] == [failed]
    by_flow = filters.FlowFilter(name=filters.FlowFilterName(any_=["other"]))
    assert [r["id"] for r in _read(engine, flow_filter=by_flow)] == [done]
    names = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(name=filters.FlowRunFilterStateName(any_=["Completed"]))
    )
    assert [r["id"] for r in _read(engine, flow_run_filter=names)] == [done]
    count = database.read(
        engine, lambda c: orchestration.flow_runs.count(c, FlowRunCriteria(flow_runs=state_filter))
    )
    assert count == 1


def test_flow_runs_sort_by_start_time_and_name(engine, new_run, propose):
    t0 = now_utc()
    early = new_run(State("RUNNING", timestamp=t0), name="b")
    late = new_run(State("RUNNING", timestamp=t0 + dt.timedelta(seconds=5)), name="a")
    never = new_run(State("PENDING"), name="c")
    by_start = _read(engine, sort=sorting.FlowRunSort.START_TIME_DESC)
    assert [r["id"] for r in by_start] == [late, early, never]
    by_name = _read(engine, sort=sorting.FlowRunSort.NAME_ASC, limit=2)
    assert [r["id"] for r in by_name] == [late, early]
    started = filters.FlowRunFilter(
        start_time=filters.FlowRunFilterStartTime(after_=t0 + dt.timedelta(seconds=1))
    )
    assert [r["id"] for r in _read(engine, flow_run_filter=started)] == [late]


def test_subflow_runs_filter_by_parent_task_run_and_parent_flow_run(engine, new_run):
    parent = new_run(State("RUNNING"))
    task = {"id": uuid.uuid4(), "name": "child", "flow_run_id": parent, "task_key": "child"}
    database.write(engine, lambda c: orchestration.task_runs.write_batch(c, [(task, None)]))
    child = new_run(parent_task_run_id=task["id"])
    new_run()
    by_task = filters.FlowRunFilter(
        parent_task_run_id=filters.FlowRunFilterParentTaskRunId(any_=[task["id"]])
    )
    by_parent = filters.FlowRunFilter(
        parent_flow_run_id=filters.FlowRunFilterParentFlowRunId(any_=[parent])
    )
    assert [r["id"] for r in _read(engine, flow_run_filter=by_task)] == [child]
    assert [r["id"] for r in _read(engine, flow_run_filter=by_parent)] == [child]


def test_filtered_pages_in_every_order_are_slices_of_the_whole_order(engine):
    """A filtered list not ordered by ``created`` sorts the matching ids first, then reads that
    page's runs: each page is the slice of the full order (ties broken by id, nulls last)."""
    t0 = now_utc().replace(microsecond=0)

    def make(conn):
        flow_id = orchestration.flows.ensure(conn, "pages")
        other = orchestration.flows.ensure(conn, "other")
        for i in range(24):
            at = t0 + dt.timedelta(seconds=i % 5)  # ties
            state = State("RUNNING" if i % 3 else "PENDING", timestamp=at)
            row = {"name": f"run-{i % 7}", "flow_id": other if i % 4 == 0 else flow_id}
            run = orchestration.flow_runs.create_run(conn, {**row, "state": state})
            nulls = {"start_time": None} if i % 3 == 0 else {}
            if i % 6 == 0:
                nulls.update(expected_start_time=None, end_time=None)
            if nulls:
                update = tables.flow_run.update().where(tables.flow_run.c.id == run["id"])
                conn.execute(update.values(**nulls))
        return flow_id

    flow_id = database.write(engine, make)
    of_flow = filters.FlowFilter(id=filters.FlowFilterId(any_=[flow_id]))

    def read(sort, limit=None, offset=0):
        return database.read(
            engine,
            lambda conn: orchestration.flow_runs.read_many(
                conn, FlowRunQuery(flows=of_flow, sort=sort, limit=limit, offset=offset)
            ),
        )

    for sort in sorting.FlowRunSort:
        whole = read(sort)
        assert len(whole) == 18 and all(run["flow_id"] == flow_id for run in whole)
        column, _, direction = sort.value.rpartition("_")
        key = column.lower()
        present = [run for run in whole if run[key] is not None]
        expected = sorted(present, key=lambda run: (run[key], str(run["id"])))
        if direction == "DESC":
            expected.reverse()
        expected += sorted(
            (run for run in whole if run[key] is None),
            key=lambda run: str(run["id"]),
            reverse=direction == "DESC",
        )
        assert [r["id"] for r in whole] == [r["id"] for r in expected], sort
        for offset in (0, 5, 17):
            page = read(sort, limit=5, offset=offset)
            assert [r["id"] for r in page] == [r["id"] for r in whole[offset : offset + 5]], sort
            assert all(r["state"] is not None for r in page)


@pytest.mark.parametrize("tag", ['say "hi"', "C:\\temp", "café", "50%_off", "line\nbreak"])
def test_a_tag_with_quotes_backslashes_or_other_characters_is_found(engine, new_run, tag):
    run = new_run(tags=[tag, "plain"])
    new_run(tags=["say hi", "C:temp", "cafe", "50off", "50x_off", "plain"])
    for field in ("all_", "any_"):
        wanted = filters.FlowRunFilter(tags=filters.FlowRunFilterTags(**{field: [tag]}))
        assert [r["id"] for r in _read(engine, flow_run_filter=wanted)] == [run], field


def test_a_name_like_filter_is_a_partial_match_of_the_text_as_given(engine, new_run):
    percent = new_run(name="50% off")
    new_run(name="500 off")
    under = new_run(name="a_b")
    new_run(name="axb")
    for text, run in (("0% o", percent), ("A_B", under)):
        wanted = filters.FlowRunFilter(name=filters.FlowRunFilterName(like_=text))
        assert [r["id"] for r in _read(engine, flow_run_filter=wanted)] == [run], text
