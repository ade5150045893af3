"""Pausing and resuming flow runs in the service layer: the pause rules, ``pauses.resume`` and
the pause expiry pass (time moved with ``now``, never slept)."""

import datetime as dt
import json
import uuid

import pytest

from praefect import database, exceptions, orchestration
from praefect.orchestration.pauses import RunInputInvalid
from praefect.schemas.responses import SetStateStatus
from praefect.schemas.states import State, StateType, now_utc
from praefect.states import Paused, Suspended

ACCEPT, REJECT, ABORT = SetStateStatus.ACCEPT, SetStateStatus.REJECT, SetStateStatus.ABORT

_SCHEMA = {
    "title": "intAutomaticRunInput",
    "type": "object",
    "properties": {"value": {"title": "Value", "type": "integer"}},
    "required": ["value"],
    "additionalProperties": False,
}
_KEYSET = {"description": "paused-1-description", "response": "paused-1-response",
           "schema": "paused-1-schema"}  # fmt: skip


@pytest.fixture
def running(new_run):
    return lambda **fields: new_run(State("RUNNING"), **fields)


@pytest.fixture
def resume(engine):
    def call(run_id, run_input=None, now=None):
        return database.write(
            engine, lambda conn: orchestration.pauses.resume(conn, run_id, run_input, now)
        )

    return call


@pytest.fixture
def inputs(engine):
    def read(run_id, key):
        return database.read(
            engine, lambda conn: orchestration.flow_run_inputs.read(conn, run_id, key)
        )

    return read


def _paused_waiting_for_int(engine, propose, run_id):
    def save(conn):
        orchestration.flow_run_inputs.create(conn, run_id, _KEYSET["schema"], json.dumps(_SCHEMA))

    database.write(engine, save)
    paused = Paused(timeout_seconds=60, pause_key="1")
    paused.state_details["run_input_keyset"] = dict(_KEYSET)
    assert propose(run_id, paused).status is ACCEPT


def test_a_pause_fires_once_per_key(running, propose, read_run):
    run_id = running()
    assert propose(run_id, Paused(timeout_seconds=60, pause_key="1")).status is ACCEPT
    assert propose(run_id, State("RUNNING")).status is ACCEPT
    again = propose(run_id, Paused(timeout_seconds=60, pause_key="1"))
    assert again.status is REJECT
    assert again.state.type is StateType.RUNNING
    assert "already fired" in again.details.reason
    assert read_run(run_id)["empirical_policy"]["pause_keys"] == ["1"]
    assert propose(run_id, Paused(timeout_seconds=60, pause_key="2")).status is ACCEPT


def test_only_a_running_run_can_be_paused(new_run, propose):
    run_id = new_run(State("PENDING"))
    result = propose(run_id, Paused(pause_key="1"))
    assert result.status is REJECT
    assert result.state.type is StateType.PENDING
    assert "not running" in result.details.reason


def test_a_run_without_a_deployment_cannot_be_suspended(running, propose):
    result = propose(running(), Suspended(timeout_seconds=60, pause_key="1"))
    assert result.status is ABORT
    assert "without a deployment" in result.details.reason


def test_resume_of_a_pause_keeps_the_attempt(running, propose, resume, read_run):
    run_id = running()
    propose(run_id, Paused(timeout_seconds=60, pause_key="1"))
    result = resume(run_id)
    assert result.status is ACCEPT
    assert result.state.type is StateType.RUNNING
    assert read_run(run_id)["run_count"] == 1


def test_resume_of_a_suspension_reschedules_it_in_the_same_attempt(
    running, propose, resume, read_run
):
    run_id = running(deployment_id=uuid.uuid4())
    assert propose(run_id, Suspended(timeout_seconds=60, pause_key="1")).status is ACCEPT
    result = resume(run_id)
    assert result.state.type is StateType.SCHEDULED
    assert result.state.name == "Resuming"
    assert read_run(run_id)["empirical_policy"]["resuming"] is True
    propose(run_id, State("PENDING"))
    propose(run_id, State("RUNNING"))
    run = read_run(run_id)
    assert run["run_count"] == 1
    assert run["empirical_policy"]["resuming"] is False


def test_resume_with_input_checks_it_and_saves_the_answer(
    engine, running, propose, resume, read_run, inputs
):
    run_id = running()
    _paused_waiting_for_int(engine, propose, run_id)
    with pytest.raises(RunInputInvalid, match="value: 'forty-one' is not of type 'integer'"):
        resume(run_id, {"value": "forty-one"})
    with pytest.raises(RunInputInvalid, match="run_input: 'value' is a required property"):
        resume(run_id, {})
    assert read_run(run_id)["state"].type is StateType.PAUSED
    assert inputs(run_id, _KEYSET["response"]) is None
    assert resume(run_id, {"value": 41}).status is ACCEPT
    assert json.loads(inputs(run_id, _KEYSET["response"])["value"]) == {"value": 41}


def test_resume_of_a_run_that_is_not_paused_names_its_state(running, resume):
    run_id = running()
    with pytest.raises(
        exceptions.NotPausedError, match="is Running \\(RUNNING\\), not paused"
    ) as e:
        resume(run_id)
    assert e.value.state.type is StateType.RUNNING


def test_resume_after_the_timeout_fails_the_run(running, propose, resume, read_run):
    run_id = running()
    propose(run_id, Paused(timeout_seconds=60, pause_key="1"))
    later = now_utc() + dt.timedelta(seconds=61)
    result = resume(run_id, now=later)
    assert result.status is REJECT
    assert result.state.type is StateType.FAILED
    assert "paused and never resumed" in read_run(run_id)["state"].message


def test_expired_pauses_fail_with_a_message_saying_so(engine, running, propose, read_run):
    soon, later = running(), running()
    propose(soon, Paused(timeout_seconds=10, pause_key="1"))
    propose(later, Paused(timeout_seconds=3600, pause_key="1"))

    def expire(now):
        return database.write(engine, lambda conn: orchestration.pauses.fail_expired(conn, now))

    assert expire(now_utc()) == []
    assert expire(now_utc() + dt.timedelta(seconds=11)) == [soon]
    state = read_run(soon)["state"]
    assert state.type is StateType.FAILED
    assert state.message.startswith("The flow run was paused and never resumed: its pause timed")
    assert read_run(later)["state"].type is StateType.PAUSED


def test_inputs_are_unique_per_key_and_filtered_by_prefix(engine, running):
    run_id = running()

    def write(conn):
        for key in ("greeting-a", "greeting-b", "other-c"):
            orchestration.flow_run_inputs.create(conn, run_id, key, '"x"', sender="me")

    database.write(engine, write)
    with pytest.raises(exceptions.ObjectAlreadyExists, match="greeting-a"):
        database.write(
            engine,
            lambda conn: orchestration.flow_run_inputs.create(conn, run_id, "greeting-a", "1"),
        )
    found = database.read(
        engine,
        lambda conn: orchestration.flow_run_inputs.filter_by_prefix(
            conn, run_id, "greeting", limit=10, exclude_keys=["greeting-a"]
        ),
    )
    assert [row["key"] for row in found] == ["greeting-b"]
    with pytest.raises(ValueError, match="'Bad Key' is not valid"):
        database.write(
            engine,
            lambda conn: orchestration.flow_run_inputs.create(conn, run_id, "Bad Key", "1"),
        )


def test_deleting_a_run_deletes_its_inputs(engine, running, inputs):
    run_id = running()
    database.write(
        engine, lambda conn: orchestration.flow_run_inputs.create(conn, run_id, "k", "1")
    )
    database.write(engine, lambda conn: orchestration.flow_runs.delete(conn, run_id))
    assert inputs(run_id, "k") is None
