"""A paused run's page: the resume form built from the input's JSON schema (defaults,
descriptions, inline errors), or a plain Resume button when the run asks for no input."""

from __future__ import annotations

import json

from praefect.input import RunInput


class Approval(RunInput):
    approved: bool
    reviewer: str = "on-call"
    copies: int = 1


def _pause(client, run_id, input_cls=None, description=None):
    details = {"pause_key": "1", "pause_reschedule": False}
    if input_cls is not None:
        keyset = {"schema": "paused-1-schema", "response": "paused-1-response",
                  "description": "paused-1-description"}  # fmt: skip
        schema = json.dumps(input_cls.model_json_schema())
        base = f"/api/flow_runs/{run_id}/input"
        assert client.post(base, json={"key": keyset["schema"], "value": schema}).status_code == 201
        if description:
            body = {"key": keyset["description"], "value": json.dumps(description)}
            assert client.post(base, json=body).status_code == 201
        details["run_input_keyset"] = keyset
    body = {"state": {"type": "PAUSED", "name": "Paused", "state_details": details}}
    response = client.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.json()["status"] == "ACCEPT", response.text


def _state(client, run_id):
    return client.get(f"/api/flow_runs/{run_id}").json()["state"]["type"]


def test_the_resume_form_is_built_from_the_input_schema(client, new_run):
    run_id = new_run("RUNNING")["id"]
    described = Approval.with_initial_data(description="Ship release 2.4?", reviewer="ada")
    _pause(client, run_id, described, "Ship release 2.4?")
    page = client.get(f"/runs/flow-run/{run_id}").text
    assert 'id="resume-form"' in page
    assert "Ship release 2.4?" in page
    assert 'id="input-approved"' in page and 'type="checkbox"' in page
    assert 'id="input-reviewer" name="reviewer" value="ada"' in page
    assert 'id="input-copies" name="copies" value="1"' in page


def test_a_bad_value_is_shown_next_to_its_field_and_the_run_stays_paused(client, new_run):
    run_id = new_run("RUNNING")["id"]
    _pause(client, run_id, Approval)
    form = {"approved": "true", "reviewer": "ada", "copies": "many"}
    answer = client.post(f"/ui/flow-runs/{run_id}/resume", data=form)
    assert answer.status_code == 422
    assert "copies: &#39;many&#39; is not of type &#39;integer&#39;" in answer.text
    assert 'value="many"' in answer.text  # what was typed is kept
    assert _state(client, run_id) == "PAUSED"

    form["copies"] = "3"
    done = client.post(f"/ui/flow-runs/{run_id}/resume", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert "Resumed" in done.headers["location"]
    assert _state(client, run_id) == "RUNNING"
    saved = client.get(f"/api/flow_runs/{run_id}/input/paused-1-response").json()
    assert saved == {"approved": True, "reviewer": "ada", "copies": 3}


def test_a_run_that_asks_for_no_input_gets_a_plain_resume_button(client, new_run):
    run_id = new_run("RUNNING")["id"]
    _pause(client, run_id)
    page = client.get(f"/runs/flow-run/{run_id}").text
    assert 'id="resume-form"' in page and "Resume this run" not in page
    done = client.post(f"/ui/flow-runs/{run_id}/resume", follow_redirects=False)
    assert done.status_code == 303
    assert _state(client, run_id) == "RUNNING"
    again = client.post(f"/ui/flow-runs/{run_id}/resume", follow_redirects=False)
    assert "not%20paused" in again.headers["location"]
