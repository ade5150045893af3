"""``praefect flow-run resume ID [--input JSON]``."""

from __future__ import annotations

import json
import uuid

import praefect
from praefect import states


def _paused_run(with_int_input: bool = False) -> str:
    with praefect.get_client(sync_client=True) as client:
        run = client.create_flow_run("cli-resume", state=states.Running())
        paused = states.Paused(timeout_seconds=600, pause_key="1")
        if with_int_input:
            keyset = {"schema": "paused-1-schema", "response": "paused-1-response",
                      "description": "paused-1-description"}  # fmt: skip
            schema = {"type": "object", "properties": {"value": {"type": "integer"}},
                      "required": ["value"]}  # fmt: skip
            client.create_flow_run_input(run.id, keyset["schema"], json.dumps(schema))
            paused.state_details["run_input_keyset"] = keyset
        client.set_flow_run_state(run.id, paused)
    return str(run.id)


def _state(run_id: str) -> str:
    with praefect.get_client(sync_client=True) as client:
        return client.read_flow_run(uuid.UUID(run_id)).state.type.value


def test_resume_a_paused_run(invoke, praefect_home):
    run_id = _paused_run()
    result = invoke("flow-run", "resume", run_id, home=praefect_home)
    assert result.code == 0, result.output
    assert "is now Running" in result.stdout
    assert _state(run_id) == "RUNNING"
    again = invoke("flow-run", "resume", run_id, home=praefect_home)
    assert again.code == 1 and "is Running (RUNNING), not paused" in again.stderr


def test_resume_with_input_checks_it_against_the_runs_schema(invoke, praefect_home):
    run_id = _paused_run(with_int_input=True)
    bad = invoke("flow-run", "resume", run_id, "--input", '{"value": "x"}', home=praefect_home)
    assert bad.code == 1 and "value: 'x' is not of type 'integer'" in bad.stderr
    assert _state(run_id) == "PAUSED"
    not_json = invoke("flow-run", "resume", run_id, "--input", "{value", home=praefect_home)
    assert not_json.code == 1 and "--input is not valid JSON" in not_json.stderr
    not_object = invoke("flow-run", "resume", run_id, "--input", "41", home=praefect_home)
    assert not_object.code == 1 and '{"value": ...}' in not_object.stderr
    ok = invoke(
        "flow-run", "resume", run_id, "--input", '{"value": 41}', "-o", "json", home=praefect_home
    )
    assert ok.code == 0, ok.output
    assert (ok.json()["status"], ok.json()["state_type"]) == ("ACCEPT", "RUNNING")
    with praefect.get_client(sync_client=True) as client:
        answer = client.read_flow_run_input(uuid.UUID(run_id), "paused-1-response")
    assert json.loads(answer) == {"value": 41}
