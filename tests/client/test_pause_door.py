"""Resuming paused runs and flow run inputs through both doors (in-process and over HTTP)."""

import json
import uuid

import pytest

from praefect import exceptions
from praefect.schemas.queries import FlowRunInputQuery
from praefect.schemas.states import State, StateType
from praefect.states import Paused


def _running_run(door) -> uuid.UUID:
    flow_id = door.ensure_flow("approvals")
    run = door.create_flow_run({"flow_id": flow_id, "state": State(StateType.RUNNING)})
    return run["id"]


def test_inputs_are_saved_filtered_read_and_deleted(door):
    run_id = _running_run(door)
    door.create_flow_run_input(run_id, "note-1", json.dumps({"text": "hi"}), sender="me")
    door.create_flow_run_input(run_id, "note-2", json.dumps(2))
    door.create_flow_run_input(run_id, "other", json.dumps(3))
    with pytest.raises(exceptions.ObjectAlreadyExists):
        door.create_flow_run_input(run_id, "note-1", "1")

    assert json.loads(door.read_flow_run_input(run_id, "note-1")) == {"text": "hi"}
    assert door.read_flow_run_input(run_id, "missing") is None
    found = door.filter_flow_run_input(
        run_id, FlowRunInputQuery(prefix="note-", limit=5, exclude_keys=["note-2"])
    )
    assert [(row["key"], row["sender"]) for row in found] == [("note-1", "me")]
    assert found[0]["flow_run_id"] == run_id

    assert door.delete_flow_run_input(run_id, "note-1") is True
    assert door.delete_flow_run_input(run_id, "note-1") is False
    assert door.read_flow_run_input(run_id, "note-1") is None


def test_resume_answers_for_paused_and_unpaused_runs(door):
    run_id = _running_run(door)
    with pytest.raises(exceptions.NotPausedError, match="not paused") as error:
        door.resume_flow_run(run_id)
    assert error.value.state.type is StateType.RUNNING

    schema = {"type": "object", "properties": {"value": {"type": "integer"}},
              "required": ["value"]}  # fmt: skip
    keyset = {"schema": "paused-1-schema", "response": "paused-1-response",
              "description": "paused-1-description"}  # fmt: skip
    door.create_flow_run_input(run_id, keyset["schema"], json.dumps(schema))
    paused = Paused(timeout_seconds=60, pause_key="1")
    paused.state_details["run_input_keyset"] = keyset
    assert door.set_flow_run_state(run_id, paused).status.value == "ACCEPT"

    with pytest.raises(ValueError, match="value: 'x' is not of type 'integer'"):
        door.resume_flow_run(run_id, {"value": "x"})
    assert door.read_flow_run(run_id)["state"].type is StateType.PAUSED

    result = door.resume_flow_run(run_id, {"value": 7})
    assert result.status.value == "ACCEPT"
    assert result.state.type is StateType.RUNNING
    assert json.loads(door.read_flow_run_input(run_id, keyset["response"])) == {"value": 7}


def test_the_user_client_has_prefects_input_methods(user_client):
    run_id = _running_run(user_client._client)
    user_client.create_flow_run_input(run_id, "answer-1", "42", sender="me")
    assert user_client.read_flow_run_input(run_id, "answer-1") == "42"
    (found,) = user_client.filter_flow_run_input(run_id, "answer", 5, set())
    assert (found.key, found.decoded_value, found.sender) == ("answer-1", 42, "me")
    user_client.delete_flow_run_input(run_id, "answer-1")
    with pytest.raises(exceptions.ObjectNotFound, match="answer-1"):
        user_client.read_flow_run_input(run_id, "answer-1")
    with pytest.raises(exceptions.NotPausedError):
        user_client.resume_flow_run(run_id)
