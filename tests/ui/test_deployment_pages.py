"""Deployment pages, the run form generated from the parameter schema, and the search box
(over HTTP, on each database backend)."""

from __future__ import annotations

import re

import pytest

from praefect.utilities.parameter_schema import parameter_schema


def report(day: int, label: str = "daily", dry_run: bool = False, extra: dict | None = None):
    """The flow function whose signature gives the deployment its parameter schema."""


@pytest.fixture
def deployment(client) -> dict:
    flow_id = client.post("/api/flows/", json={"name": "reports"}).json()["id"]
    body = {
        "name": "nightly-report",
        "flow_id": flow_id,
        "parameter_openapi_schema": parameter_schema(report),
        "parameters": {"label": "nightly"},
        "schedules": [{"schedule": {"cron": "0 3 * * *", "timezone": "UTC"}}],
        "tags": ["reports"],
    }
    response = client.post("/api/deployments/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_deployments_list_shows_schedules_and_status(client, deployment):
    html = client.get("/deployments").text
    assert f"/deployments/deployment/{deployment['id']}" in html
    assert "nightly-report" in html and "reports" in html
    assert "cron 0 3 * * * (UTC)" in html
    assert "Active" in html


def test_deployment_page_generates_a_form_field_per_parameter(client, deployment):
    html = client.get(f"/deployments/deployment/{deployment['id']}").text
    fields = re.findall(r'data-field="([^"]+)"', html)
    assert fields == ["day", "label", "dry_run", "extra"]
    assert 'name="label" value="nightly"' in html  # the deployment's default
    assert 'type="checkbox" id="param-dry_run"' in html
    assert '<textarea id="param-extra"' in html
    assert "cron 0 3 * * *" in html.split('id="schedules"')[1]


def test_run_form_refuses_bad_values_with_the_fields_message(client, deployment):
    url = f"/ui/deployments/{deployment['id']}/run"
    response = client.post(url, data={"day": "monday", "label": "x", "extra": "{oops"})
    assert response.status_code == 422
    assert "day: &#39;monday&#39; is not of type &#39;integer&#39;" in response.text
    assert "extra: not valid JSON" in response.text
    assert 'name="day" value="monday"' in response.text  # what was typed stays
    assert 'id="param-dry_run" name="dry_run" value="true" >' in response.text  # not ticked
    missing = client.post(url, data={"label": "x"})
    assert missing.status_code == 422
    assert "day: a value is required" in missing.text
    runs = client.post("/api/flow_runs/filter", json={}).json()
    assert runs == []


def test_run_form_creates_a_scheduled_run_with_the_parameters(client, deployment):
    url = f"/ui/deployments/{deployment['id']}/run"
    data = {"day": "7", "label": "", "dry_run": "true", "extra": '{"a": 1}', "run_name": "by-hand"}
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303
    run_id = response.headers["location"].split("/runs/flow-run/")[1].split("?")[0]
    run = client.get(f"/api/flow_runs/{run_id}").json()
    assert run["name"] == "by-hand"
    assert run["state_type"] == "SCHEDULED"
    assert run["deployment_id"] == deployment["id"]
    assert run["parameters"] == {"day": 7, "label": "nightly", "dry_run": True, "extra": {"a": 1}}
    page = client.get(response.headers["location"]).text
    assert "Created run by-hand of deployment nightly-report" in page


def test_unknown_deployment_gets_a_404_page(client):
    response = client.get("/deployments/deployment/not-an-id")
    assert response.status_code == 404
    assert "No deployment with id &#39;not-an-id&#39;" in response.text


def test_search_finds_names_and_opens_ids(client, deployment, new_run):
    run = new_run(name="report-backfill-17")
    html = client.get("/search?q=report").text
    assert "/flows/flow/" in html and ">reports</a>" in html
    assert "nightly-report" in html
    assert "report-backfill-17" in html
    response = client.get(f"/search?q={run['id']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/runs/flow-run/{run['id']}"
    response = client.get(f"/search?q={deployment['id']}", follow_redirects=False)
    assert response.headers["location"] == f"/deployments/deployment/{deployment['id']}"
    assert "Nothing is called anything like" in client.get("/search?q=zzzz").text


def test_a_deployments_run_page_names_and_links_its_deployment(client, deployment):
    url = f"/api/deployments/{deployment['id']}/create_flow_run"
    run = client.post(url, json={"parameters": {"day": 3}}).json()
    html = client.get(f"/runs/flow-run/{run['id']}").text
    assert (
        f'<a href="/deployments/deployment/{deployment["id"]}">reports/nightly-report</a>' in html
    )
    assert (
        deployment["id"] not in html.split("reports/nightly-report</a>")[1].split("</section>")[0]
    )
