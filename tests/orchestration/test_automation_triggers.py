"""Triggers weigh each stored event (in its transaction); windows live in the database; a fired
automation's actions run from a queue with retries and report through events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from praefect import database, orchestration
from praefect.orchestration import automation_actions, automation_triggers
from praefect.schemas.automations import AutomationCore

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_runner_thread(monkeypatch):
    """Actions run when the test says (``run_due``), not in the background."""
    monkeypatch.setattr(automation_actions, "wake", lambda engine: None)


def _automation(engine, trigger: dict[str, Any], actions=None, name="auto") -> uuid.UUID:
    core = AutomationCore.model_validate(
        {"name": name, "trigger": trigger, "actions": actions or [{"type": "do-nothing"}]}
    )
    row = database.write(engine, lambda conn: orchestration.automations.create(conn, core))
    return row["id"]


def _emit(engine, name: str, resource: str, seconds: float = 0, related=(), **labels) -> None:
    row = {
        "id": uuid.uuid4(),
        "occurred": T0 + dt.timedelta(seconds=seconds),
        "event": name,
        "resource_id": resource,
        "resource": {"prefect.resource.id": resource, **labels},
        "related": list(related),
        "payload": {},
        "received": T0,
        "follows": None,
    }
    database.write(engine, lambda conn: orchestration.events.write(conn, [row]))


def _events(engine, prefix: str) -> list[dict[str, Any]]:
    return database.read(engine, lambda conn: orchestration.events.read_many(conn, prefix))


def _fired(engine) -> int:
    return len(_events(engine, "prefect.automation.triggered"))


def test_a_reactive_trigger_fires_at_its_threshold_within_its_window(engine):
    trigger = {
        "expect": ["acme.hit"],
        "match": {"prefect.resource.id": "acme.*"},
        "threshold": 3,
        "within": 60,
    }
    _automation(engine, trigger)
    _emit(engine, "acme.hit", "acme.a", 0)
    _emit(engine, "acme.hit", "other.a", 1)  # not matched
    _emit(engine, "acme.miss", "acme.a", 2)  # not expected
    _emit(engine, "acme.hit", "acme.a", 10)
    assert _fired(engine) == 0
    _emit(engine, "acme.hit", "acme.b", 20)
    assert _fired(engine) == 1
    # the rest of the window is spent; a new window starts at its end
    _emit(engine, "acme.hit", "acme.a", 30)
    for second in (61, 70, 80):
        _emit(engine, "acme.hit", "acme.a", second)
    assert _fired(engine) == 2


def test_events_outside_the_window_start_a_new_count(engine):
    _automation(engine, {"expect": ["acme.hit"], "threshold": 2, "within": 10})
    _emit(engine, "acme.hit", "acme.a", 0)
    _emit(engine, "acme.hit", "acme.a", 11)
    assert _fired(engine) == 0
    _emit(engine, "acme.hit", "acme.a", 12)
    assert _fired(engine) == 1


def test_for_each_counts_each_label_value_apart_and_counts_survive_a_restart(engine):
    _automation(
        engine,
        {"expect": ["acme.hit"], "for_each": ["prefect.resource.id"], "threshold": 2, "within": 0},
    )
    _emit(engine, "acme.hit", "acme.a", 0)
    _emit(engine, "acme.hit", "acme.b", 1)
    assert _fired(engine) == 0
    automation_triggers._loaded.clear()  # what a restart forgets: the counts are in the table
    _emit(engine, "acme.hit", "acme.a", 2)
    fired = _events(engine, "prefect.automation.triggered")
    assert len(fired) == 1
    assert fired[0]["payload"]["triggering_event"]["resource"]["prefect.resource.id"] == "acme.a"


def test_match_related_needs_a_related_resource_with_those_labels(engine):
    _automation(
        engine,
        {
            "expect": ["acme.hit"],
            "match_related": {
                "prefect.resource.role": "customer",
                "prefect.resource.id": "acme.customer.*",
            },
        },
    )
    other = {"prefect.resource.id": "acme.customer.1", "prefect.resource.role": "vendor"}
    _emit(engine, "acme.hit", "acme.order", 0, related=[other])
    assert _fired(engine) == 0
    customer = {"prefect.resource.id": "acme.customer.1", "prefect.resource.role": "customer"}
    _emit(engine, "acme.hit", "acme.order", 1, related=[customer])
    assert _fired(engine) == 1


def test_a_proactive_trigger_fires_when_the_expected_event_does_not_come(engine):
    trigger = {
        "posture": "Proactive",
        "after": ["acme.started"],
        "expect": ["acme.finished"],
        "for_each": ["prefect.resource.id"],
        "within": 30,
    }
    _automation(engine, trigger)
    _emit(engine, "acme.started", "acme.job.1", 0)
    _emit(engine, "acme.started", "acme.job.2", 0)
    _emit(engine, "acme.finished", "acme.job.2", 10)
    proactive = lambda now: database.write(  # noqa: E731
        engine,
        lambda conn: orchestration.events.write(
            conn, orchestration.automation_triggers.evaluate_proactive(conn, now)
        ),
    )
    proactive(T0 + dt.timedelta(seconds=20))
    assert _fired(engine) == 0
    proactive(T0 + dt.timedelta(seconds=31))
    fired = _events(engine, "prefect.automation.triggered")
    assert len(fired) == 1
    assert (
        fired[0]["payload"]["triggering_event"]["resource"]["prefect.resource.id"] == "acme.job.1"
    )


def test_compound_all_and_sequence_triggers(engine):
    a, b = {"expect": ["acme.a"]}, {"expect": ["acme.b"]}
    _automation(engine, {"type": "compound", "require": "all", "triggers": [a, b]}, name="both")
    _automation(engine, {"type": "sequence", "triggers": [a, b]}, name="a-then-b")
    _emit(engine, "acme.b", "acme.x", 0)  # the sequence ignores b before a
    assert _fired(engine) == 0
    _emit(engine, "acme.a", "acme.x", 1)  # compound: both seen
    names = [
        e["resource"]["prefect.resource.name"]
        for e in _events(engine, "prefect.automation.triggered")
    ]
    assert names == ["both"]
    _emit(engine, "acme.b", "acme.x", 2)  # sequence: a then b
    names = [
        e["resource"]["prefect.resource.name"]
        for e in _events(engine, "prefect.automation.triggered")
    ]
    assert sorted(names) == ["a-then-b", "both"]


def test_a_disabled_automation_counts_nothing(engine):
    automation_id = _automation(engine, {"expect": ["acme.hit"]})
    database.write(engine, lambda c: orchestration.automations.set_enabled(c, automation_id, False))
    _emit(engine, "acme.hit", "acme.a")
    assert _fired(engine) == 0


def _deployment(engine) -> uuid.UUID:
    def create(conn):
        flow_id = orchestration.flows.ensure(conn, "etl")
        return orchestration.deployments.create(conn, {"name": "load", "flow_id": flow_id})["id"]

    return database.write(engine, create)


def test_run_deployment_renders_its_parameters_from_the_event(engine):
    deployment_id = _deployment(engine)
    action = {
        "type": "run-deployment",
        "deployment_id": str(deployment_id),
        "parameters": {"source": "{{ event.resource.id }}", "n": 3},
        "job_variables": {"env": {"WHO": "{{ event.resource.name }}"}},
    }
    _automation(engine, {"expect": ["acme.upload"]}, [action])
    _emit(engine, "acme.upload", "acme.file.7", **{"prefect.resource.name": "seven"})
    assert automation_actions.run_due(engine) == 1
    runs = database.read(engine, lambda c: orchestration.flow_runs.read_many(c))
    assert [r["parameters"] for r in runs] == [{"source": "acme.file.7", "n": 3}]
    assert runs[0]["job_variables"] == {"env": {"WHO": "seven"}}
    executed = _events(engine, "prefect.automation.action.executed")
    assert executed[0]["payload"]["action_type"] == "run-deployment"
    targets = [r["prefect.resource.id"] for r in executed[0]["related"]]
    assert f"prefect.flow-run.{runs[0]['id']}" in targets


def test_a_failing_template_fails_the_action_and_the_automation_keeps_working(engine):
    deployment_id = _deployment(engine)
    action = {
        "type": "run-deployment",
        "deployment_id": str(deployment_id),
        "parameters": {"x": "{{ event.resource.id | nosuchfilter }}"},
    }
    _automation(engine, {"expect": ["acme.upload"]}, [action, {"type": "do-nothing"}])
    _emit(engine, "acme.upload", "acme.file.1", 0)
    assert automation_actions.run_due(engine) == 2
    failed = _events(engine, "prefect.automation.action.failed")
    assert len(failed) == 1 and "nosuchfilter" in failed[0]["payload"]["reason"]
    assert len(_events(engine, "prefect.automation.action.executed")) == 1  # the do-nothing
    _emit(engine, "acme.upload", "acme.file.2", 1)
    assert _fired(engine) == 2


def test_an_action_that_fails_is_tried_again_then_reported(engine, monkeypatch):
    from praefect.orchestration import automation_effects

    calls = []

    def flaky(conn, action, event, automation, now):
        calls.append(now)
        raise RuntimeError("the network is down")

    monkeypatch.setattr(automation_effects, "perform", flaky)
    _automation(engine, {"expect": ["acme.hit"]})
    _emit(engine, "acme.hit", "acme.a")
    now = dt.datetime.now(dt.UTC)
    assert automation_actions.run_due(engine, now) == 1
    assert automation_actions.run_due(engine, now) == 0  # not due yet
    assert automation_actions.run_due(engine, now + dt.timedelta(seconds=2)) == 1
    assert automation_actions.run_due(engine, now + dt.timedelta(seconds=60)) == 1
    assert len(calls) == automation_actions.MAX_ATTEMPTS
    failed = _events(engine, "prefect.automation.action.failed")
    assert len(failed) == 1 and "the network is down" in failed[0]["payload"]["reason"]
    runs = database.read(engine, lambda c: automation_actions.read_runs(c))
    assert [r["status"] for r in runs] == ["failed"]


def test_pause_automation_and_change_flow_run_state_act_on_what_the_event_names(engine):
    from praefect.schemas.states import State, StateType

    def run(conn):
        flow_id = orchestration.flows.ensure(conn, "etl")
        run_id = uuid.uuid4()
        orchestration.flow_runs.create(
            conn, {"id": run_id, "name": "r", "flow_id": flow_id, "state": State(StateType.RUNNING)}
        )
        return run_id

    run_id = database.write(engine, run)
    automation_id = _automation(
        engine,
        {"expect": ["acme.kill"]},
        [
            {
                "type": "change-flow-run-state",
                "state": "FAILED",
                "message": "killed by {{ event.event }}",
                "force": True,
            },
            {"type": "pause-automation", "source": "inferred"},
        ],
    )
    _emit(engine, "acme.kill", f"prefect.flow-run.{run_id}")
    assert automation_actions.run_due(engine) == 2
    found = database.read(engine, lambda c: orchestration.flow_runs.read(c, run_id))
    assert found["state"].type is StateType.FAILED
    assert found["state"].message == "killed by acme.kill"
    automation = database.read(engine, lambda c: orchestration.automations.read(c, automation_id))
    assert automation["enabled"] is False


def test_task_run_state_events_written_in_batches_are_weighed_too(engine):
    from praefect.schemas.states import State

    _automation(engine, {"expect": ["prefect.task-run.Completed"]})
    row = {"id": uuid.uuid4(), "name": "t", "task_key": "t"}
    items = [(row, State("RUNNING")), (row, State("COMPLETED"))]
    database.write(engine, lambda conn: orchestration.task_runs.write_batch(conn, items))
    fired = _events(engine, "prefect.automation.triggered")
    assert len(fired) == 1
    assert fired[0]["payload"]["triggering_event"]["resource"]["prefect.resource.id"] == (
        f"prefect.task-run.{row['id']}"
    )


def test_an_event_sent_again_is_counted_once(engine):
    _automation(engine, {"expect": ["acme.hit"], "threshold": 2, "within": 0})
    row = {
        "id": uuid.uuid4(),
        "occurred": T0,
        "event": "acme.hit",
        "resource_id": "acme.a",
        "resource": {"prefect.resource.id": "acme.a"},
        "related": [],
        "payload": {},
        "received": T0,
        "follows": None,
    }
    for _ in range(2):  # a client sending its batch again after a lost answer
        database.write(engine, lambda conn: orchestration.events.ingest(conn, [row]))
    assert _fired(engine) == 0
    _emit(engine, "acme.hit", "acme.a", 1)
    assert _fired(engine) == 1
