"""Automation pages: the list, one automation with its recent actions, enable and disable."""

from __future__ import annotations

import pytest


@pytest.fixture
def automation(client) -> dict:
    body = {
        "name": "pause-on-alarm",
        "description": "Stops the line",
        "trigger": {
            "expect": ["acme.alarm"],
            "match": {"prefect.resource.id": "acme.*"},
            "threshold": 2,
            "within": 60,
        },
        "actions": [{"type": "do-nothing"}],
    }
    response = client.post("/api/automations/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_automations_list_shows_trigger_actions_and_status(client, automation):
    html = client.get("/automations").text
    assert f"/automations/automation/{automation['id']}" in html
    assert "pause-on-alarm" in html and "Reactive: expecting 2 of acme.alarm" in html
    assert "Do nothing" in html and "Enabled" in html
    assert 'href="/automations"' in client.get("/dashboard").text  # in the navigation


def test_disable_and_enable_from_the_automation_page(client, automation):
    page = client.get(f"/automations/automation/{automation['id']}").text
    assert "Stops the line" in page and "It has not fired yet" in page
    assert "acme.alarm" in page.split('id="trigger-json"')[1]
    response = client.post(f"/ui/automations/{automation['id']}/disable", follow_redirects=False)
    assert response.status_code == 303 and "disabled" in response.headers["location"]
    assert client.get(f"/api/automations/{automation['id']}").json()["enabled"] is False
    assert "Disabled" in client.get(response.headers["location"]).text
    client.post(f"/ui/automations/{automation['id']}/enable")
    assert client.get(f"/api/automations/{automation['id']}").json()["enabled"] is True


def test_an_unknown_automation_is_a_404_page(client):
    response = client.get("/automations/automation/not-an-id")
    assert response.status_code == 404 and "No automation with id" in response.text


def test_the_form_creates_and_edits_an_automation_and_names_a_bad_field(client):
    assert "prefect.flow-run.Failed" in client.get("/automations/new").text  # the example
    body = {
        "name": "from-the-form",
        "trigger": {"expect": ["acme.x"]},
        "actions": [{"type": "do-nothing"}],
    }
    import json

    made = client.post(
        "/ui/automations/new", data={"automation": json.dumps(body)}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    automation_id = made.headers["location"].split("/")[-1].split("?")[0]
    edit_page = client.get(f"/automations/automation/{automation_id}/edit").text
    assert "from-the-form" in edit_page
    bad = client.post(
        f"/ui/automations/{automation_id}/edit",
        data={"automation": json.dumps({**body, "trigger": {"expect": ["x"], "threshold": 0}})},
    )
    assert bad.status_code == 422 and "trigger.event.threshold" in bad.text
    saved = client.post(
        f"/ui/automations/{automation_id}/edit",
        data={"automation": json.dumps({**body, "name": "renamed"})},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert client.get(f"/api/automations/{automation_id}").json()["name"] == "renamed"


def test_the_automation_form_is_an_admins_and_enabling_an_operators():
    from praefect.server import roles

    some_id = "0b7c1a2e-57ad-4a36-b4a5-4c5b3f1c8a6f"
    assert roles.required_role("POST", "/ui/automations/new") == "admin"
    assert roles.required_role("POST", f"/ui/automations/{some_id}/edit") == "admin"
    assert roles.required_role("POST", f"/ui/automations/{some_id}/disable") == "operator"
