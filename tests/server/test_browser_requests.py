"""What a web page on another site can make a user's browser do to a server on localhost:
nothing that writes (foreign origins 403, non-JSON bodies 415, CORS closed by default)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from praefect import database, orchestration
from tests.conftest import running_server

EVIL = "https://evil.example"
_LOG = [{"name": "x", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z"}]


def test_cors_is_closed_by_default(client):
    preflight = {
        "Origin": EVIL,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    response = client.options("/api/deployments/", headers=preflight)
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None],
)
def test_a_log_body_that_is_not_json_is_refused_with_415_and_not_written(
    client, database_url, content_type
):
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post("/api/logs/", content=json.dumps(_LOG), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    engine = database.get_engine(database_url)
    assert database.read(engine, orchestration.logs.read_many) == []
    assert client.post("/api/logs/", json=_LOG).status_code == 201


def test_json_content_types_with_parameters_and_suffixes_are_accepted(client):
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post(
            "/api/flows/", content=b'{"name": "f"}', headers={"Content-Type": content_type}
        )
        assert response.status_code in (200, 201), content_type


def test_a_request_from_another_origin_is_refused_naming_the_setting(client):
    response = client.post("/api/flows/", json={"name": "f"}, headers={"Origin": EVIL})
    assert response.status_code == 403
    assert "PRAEFECT_SERVER_CORS_ALLOWED_ORIGINS" in response.json()["detail"]
    assert client.post("/api/flows/filter", json={}).json() == []
    # The server's own pages (same host and port) pass.
    own = client.post("/api/flows/", json={"name": "f"}, headers={"Origin": "http://testserver"})
    assert own.status_code == 201


def test_an_allowed_origin_may_call_the_api(make_app):
    client = TestClient(make_app(server_cors_allowed_origins="https://ui.example"))
    ok = client.post("/api/flows/", json={"name": "f"}, headers={"Origin": "https://ui.example"})
    assert ok.status_code == 201
    assert ok.headers["access-control-allow-origin"] == "https://ui.example"
    refused = client.post("/api/flows/", json={"name": "g"}, headers={"Origin": EVIL})
    assert refused.status_code == 403


def _browser_attacks(api: str, deployment_id: str) -> list[tuple[str, httpx.Request]]:
    """The ways a page on another site could set what a worker runs (pull steps, a command),
    as its browser would send them: simple requests go out without a preflight."""
    steps = [{"praefect.deployments.steps.run_shell_script": {"script": "touch /tmp/pwned"}}]
    flow_id = str(uuid.uuid4())
    simple = {"Origin": EVIL, "Content-Type": "text/plain;charset=UTF-8"}
    blob = {"Origin": EVIL}  # fetch(url, {body: new Blob([...])}) sends no Content-Type
    create = {"name": "evil", "flow_id": flow_id, "pull_steps": steps}
    run = {"job_variables": {"command": "touch /tmp/pwned"}}
    patch = {"pull_steps": steps, "job_variables": {"command": "touch /tmp/pwned"}}
    return [
        (
            "text/plain deployment create",
            httpx.Request("POST", f"{api}/deployments/", headers=simple, json=create),
        ),
        (
            "text/plain run with a command",
            httpx.Request(
                "POST",
                f"{api}/deployments/{deployment_id}/create_flow_run",
                headers=simple,
                json=run,
            ),
        ),
        (
            "blob body without a content type",
            httpx.Request(
                "POST",
                f"{api}/deployments/{deployment_id}/create_flow_run",
                headers=blob,
                content=json.dumps(run).encode(),
            ),
        ),
        (
            "CORS JSON request (sent as if the preflight had passed)",
            httpx.Request(
                "PATCH",
                f"{api}/deployments/{deployment_id}",
                headers={"Origin": EVIL, "Content-Type": "application/json"},
                json=patch,
            ),
        ),
        (
            "form post",
            httpx.Request(
                "POST",
                f"{api}/deployments/",
                headers={"Origin": EVIL},
                data={"name": "evil", "flow_id": flow_id},
            ),
        ),
    ]


def test_no_web_page_can_set_pull_steps_or_commands_on_a_real_server(tmp_path: Path):
    env = {**os.environ, "PRAEFECT_HOME": str(tmp_path)}
    env.pop("PRAEFECT_API_URL", None)
    with running_server(env) as (_, api), httpx.Client(timeout=10) as http:
        flow = http.post(f"{api}/flows/", json={"name": "f"}).json()
        deployment = http.post(
            f"{api}/deployments/", json={"name": "d", "flow_id": flow["id"]}
        ).json()
        preflight = http.options(
            f"{api}/deployments/",
            headers={
                "Origin": EVIL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert "access-control-allow-origin" not in preflight.headers
        for name, request in _browser_attacks(api, deployment["id"]):
            response = http.send(request)
            assert response.status_code in (403, 415), (name, response.text)
        # No simple request passes without an Origin either when its body is not JSON.
        text = http.post(
            f"{api}/deployments/{deployment['id']}/create_flow_run",
            content=b'{"job_variables": {"command": "x"}}',
            headers={"Content-Type": "text/plain"},
        )
        assert text.status_code == 415
        after = http.get(f"{api}/deployments/{deployment['id']}").json()
        assert after["pull_steps"] in (None, [])
        assert after["job_variables"] == {}
        assert http.post(f"{api}/deployments/filter", json={}).json() == [after]
        assert http.post(f"{api}/flow_runs/filter", json={}).json() == []
