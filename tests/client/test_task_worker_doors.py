"""The background-task operations through both doors (embedded and HTTP): a Scheduled run is
claimed once, a claim waits for a run, task workers are listed and forgotten."""

from __future__ import annotations

import threading
import time
import uuid

from praefect.schemas.filters import TaskWorkerFilter
from praefect.schemas.states import State, StateType


def _schedule(door, task_key="add"):
    run_id = uuid.uuid4()
    row = {"id": run_id, "name": "add-1", "task_key": task_key, "dynamic_key": "1"}
    state = State(StateType.SCHEDULED, state_details={"task_parameters_id": uuid.uuid4()})
    created = door.schedule_task_run(row, state)
    assert created["state"].type is StateType.SCHEDULED
    return run_id


def test_a_scheduled_run_is_claimed_once(door):
    run_id = _schedule(door)
    [claimed] = door.claim_task_runs(["add"], "w1", limit=5)
    assert claimed["id"] == run_id
    assert claimed["state"].type is StateType.PENDING
    assert claimed["state"].state_details["task_parameters_id"] is not None
    assert door.claim_task_runs(["add"], "w2", limit=5) == []


def test_a_claim_waits_for_a_run_scheduled_meanwhile(door):
    later = threading.Timer(0.2, lambda: _schedule(door))
    later.start()
    started = time.monotonic()
    runs = door.claim_task_runs(["add"], "w1", limit=1, timeout=60)
    later.join()
    assert len(runs) == 1
    assert time.monotonic() - started < 30  # when the run came, not at the claim's timeout


def test_task_workers_are_listed_by_task_key_and_forgotten(door):
    door.send_task_worker_heartbeat("w1", ["add", "mul"])
    door.send_task_worker_heartbeat("w2", ["div"])
    workers = door.read_task_workers(TaskWorkerFilter(task_keys=["mul"]))
    assert [w["identifier"] for w in workers] == ["w1"]
    assert workers[0]["task_keys"] == ["add", "mul"]
    assert len(door.read_task_workers()) == 2
    assert door.remove_task_worker("w1") is True
    assert door.remove_task_worker("w1") is False
    assert [w["identifier"] for w in door.read_task_workers()] == ["w2"]
