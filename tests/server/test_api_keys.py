"""API keys with roles: viewer reads, operator runs things, admin changes what runs and where.
Stored hashed, managed by ``praefect api-key``; on both databases and on a real server."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from praefect import database
from praefect.database import tables
from praefect.server import keys, roles
from tests.conftest import running_server


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def role_keys(database_url: str) -> dict[str, str]:
    """A key per role on the test database."""
    return {role: keys.create(f"{role}-key", role, database_url)[1] for role in keys.ROLES}


def test_keys_are_stored_hashed_and_listed_without_them(database_url, role_keys):
    engine = database.get_engine(database_url)
    stored = database.read(engine, lambda conn: conn.execute(tables.api_key.select()).all())
    text = repr(stored)
    assert len(stored) == 3
    assert not any(key in text for key in role_keys.values())
    listed = keys.read_all(database_url)
    assert [row["name"] for row in listed] == ["viewer-key", "operator-key", "admin-key"]
    assert all("key_hash" not in row for row in listed)
    assert role_keys["viewer"].startswith(listed[0]["key_prefix"])


def test_with_no_keys_the_server_is_open(client):
    assert client.post("/api/flows/", json={"name": "f"}).status_code == 201


def test_once_a_key_exists_requests_without_a_valid_one_get_401(client, role_keys):
    missing = client.post("/api/flows/filter", json={})
    assert missing.status_code == 401
    assert "no credentials were sent" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = client.post("/api/flows/filter", json={}, headers=_bearer("pfk_nope"))
    assert wrong.status_code == 401
    assert "the credentials are wrong" in wrong.json()["detail"]
    assert client.get("/api/health").status_code == 200
    # the UI asks the browser for basic auth, whose password may be a key
    page = client.get("/")
    assert page.status_code == 401
    assert page.headers["WWW-Authenticate"].startswith("Basic")
    login = base64.b64encode(f"alice:{role_keys['viewer']}".encode()).decode()
    assert client.get("/", headers={"Authorization": f"Basic {login}"}).status_code == 200


def test_a_viewer_reads_but_cannot_run_anything(client, role_keys):
    viewer = _bearer(role_keys["viewer"])
    assert client.post("/api/flow_runs/filter", json={}, headers=viewer).json() == []
    assert client.post("/api/flow_runs/count", json={}, headers=viewer).json() == 0
    assert client.get("/api/version", headers=viewer).status_code == 200
    refused = client.post("/api/flows/", json={"name": "f"}, headers=viewer)
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "needs the operator role" in detail
    assert "'viewer-key' has the viewer role" in detail
    logs = [{"name": "x", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z"}]
    assert client.post("/api/logs/", json=logs, headers=viewer).status_code == 403
    secret = client.post("/api/block_documents/filter", json={}, headers=viewer)
    assert secret.status_code == 403


def test_an_operator_runs_flows_but_cannot_change_what_workers_execute(client, role_keys):
    operator, admin = _bearer(role_keys["operator"]), _bearer(role_keys["admin"])
    flow = client.post("/api/flows/", json={"name": "f"}, headers=operator).json()
    run = client.post("/api/flow_runs/", json={"flow_id": flow["id"]}, headers=operator)
    assert run.status_code == 201
    run_id = run.json()["id"]
    state = {"state": {"type": "RUNNING"}}
    assert (
        client.post(f"/api/flow_runs/{run_id}/set_state", json=state, headers=operator).json()[
            "status"
        ]
        == "ACCEPT"
    )
    item = {"row": {"id": str(uuid.uuid4()), "name": "t", "task_key": "t", "flow_run_id": run_id}}
    batch = client.post("/api/task_runs/batch", json=[item], headers=operator)
    assert batch.status_code == 201
    steps = [{"praefect.deployments.steps.run_shell_script": {"script": "id"}}]
    body = {"name": "d", "flow_id": flow["id"], "pull_steps": steps}
    refused = client.post("/api/deployments/", json=body, headers=operator)
    assert refused.status_code == 403
    assert "needs the admin role" in refused.json()["detail"]
    assert client.post("/api/work_pools/", json={"name": "p"}, headers=operator).status_code == 403
    deployment = client.post("/api/deployments/", json=body, headers=admin)
    assert deployment.status_code == 201
    runs = f"/api/deployments/{deployment.json()['id']}/create_flow_run"
    assert client.post(runs, json={}, headers=operator).status_code == 201
    command = {"job_variables": {"command": "touch /tmp/pwned"}}
    for method, path in (
        ("POST", runs),
        ("PATCH", f"/api/flow_runs/{run_id}"),
        ("POST", "/api/flow_runs/"),
    ):
        response = client.request(
            method, path, json={"flow_id": flow["id"], **command}, headers=operator
        )
        assert response.status_code == 403, (method, path, response.text)
        assert "with job_variables needs the admin role" in response.json()["detail"]
    assert client.post(runs, json=command, headers=admin).status_code == 201


def test_the_uis_actions_need_an_operator(client, new_run, role_keys):
    client.headers.update(_bearer(role_keys["admin"]))
    run = new_run("SCHEDULED")
    url = f"/ui/flow-runs/{run['id']}/cancel"
    for role, status in (("viewer", 403), ("operator", 303)):
        login = base64.b64encode(f"someone:{role_keys[role]}".encode()).decode()
        client.headers["Authorization"] = f"Basic {login}"
        client.get("/dashboard")
        token = client.cookies["praefect_csrf"]
        response = client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == status, response.text
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "CANCELLED"


def test_the_servers_own_auth_string_and_keys_are_admin(make_app, database_url, role_keys):
    client = TestClient(make_app(server_api_auth_string="u:p", server_api_keys="static"))
    basic = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    flow = client.post("/api/flows/", json={"name": "f"}, headers=basic).json()
    body = {"name": "d", "flow_id": flow["id"]}
    assert client.post("/api/deployments/", json=body, headers=_bearer("static")).status_code == 201
    viewer = client.post("/api/flows/", json={"name": "g"}, headers=_bearer(role_keys["viewer"]))
    assert viewer.status_code == 403


def test_a_new_key_works_at_once_and_a_revoked_one_stops_within_the_refresh(client, database_url):
    first = keys.create("first", "viewer", database_url)[1]
    assert client.post("/api/flows/filter", json={}, headers=_bearer(first)).status_code == 200
    second = keys.create("second", "viewer", database_url)[1]
    time.sleep(0.3)
    assert client.post("/api/flows/filter", json={}, headers=_bearer(second)).status_code == 200
    assert keys.revoke("second", database_url)
    deadline = time.monotonic() + 10
    while client.post("/api/flows/filter", json={}, headers=_bearer(second)).status_code == 200:
        assert time.monotonic() < deadline, "a revoked key still works after 10 s"
        time.sleep(0.2)
    assert client.post("/api/flows/filter", json={}, headers=_bearer(first)).status_code == 200


def _reads(path: str) -> bool:
    """A read-style POST (docs/security.md: filter, count, paginate, history, count-by)."""
    return path.endswith(("/filter", "/count", "/paginate", "/history")) or "/count-by/" in path


def test_every_route_has_the_role_the_security_page_says(app):
    """Reads are a viewer's; writes to deployments, work pools and blocks an admin's."""
    for path, operations in app.openapi()["paths"].items():
        concrete = path.replace("{id}", str(uuid.uuid4()))
        for method in operations:
            method = method.upper()
            role = roles.required_role(method, concrete.replace("{", "").replace("}", ""))
            if method == "GET" and "block_documents" not in path:
                assert role == "viewer", (method, path)
            elif _reads(path) and "block_documents" not in path:
                assert role == "viewer", (method, path)
            elif path.startswith(("/api/work_pools", "/api/block", "/api/deployments")):
                worker_calls = ("get_scheduled_flow_runs", "heartbeat", "create_flow_run")
                deployment_runs = ("/schedule", "pause_deployment", "resume_deployment")
                if path.endswith(worker_calls + deployment_runs) or "block_documents" in path:
                    assert role == "operator", (method, path)
                else:
                    assert role == "admin", (method, path)
            else:
                assert role in ("operator", "admin"), (method, path)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PRAEFECT_HOME": str(tmp_path)}
    for name in ("PRAEFECT_API_URL", "PRAEFECT_API_KEY", "PREFECT_API_URL", "PREFECT_API_KEY"):
        env.pop(name, None)
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "praefect.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


_FLOW = textwrap.dedent(
    """
    import praefect as prefect

    @prefect.task
    def add(x):
        prefect.get_run_logger().info("adding %s", x)
        return x + 1

    @prefect.flow
    def numbers():
        return sum(add.map(range(20)).result())

    print(numbers())
    """
)


def test_keys_made_with_the_cli_govern_a_real_server_and_its_clients(tmp_path: Path):
    env = _env(tmp_path)
    with running_server(env) as (_, api):
        made = {}
        for role in ("viewer", "operator"):
            done = _cli(env, "api-key", "create", "--role", role, "--name", role)
            assert done.returncode == 0, done.stderr
            made[role] = done.stdout.strip()
            assert "not shown again" in done.stderr
        listed = _cli(env, "api-key", "ls")
        assert "viewer" in listed.stdout and made["viewer"] not in listed.stdout
        assert httpx.post(f"{api}/flows/filter", json={}, timeout=10).status_code == 401
        operator = {**env, "PRAEFECT_API_URL": api, "PRAEFECT_API_KEY": made["operator"]}
        flow = subprocess.run(
            [sys.executable, "-c", _FLOW], env=operator, capture_output=True, text=True, timeout=120
        )
        assert flow.returncode == 0, flow.stderr
        assert flow.stdout.split()[-1] == str(sum(range(1, 21)))
        viewer = {**env, "PRAEFECT_API_URL": api, "PRAEFECT_API_KEY": made["viewer"]}
        runs = _cli(viewer, "flow-run", "ls")
        assert runs.returncode == 0, runs.stderr
        assert "numbers" in runs.stdout or "Completed" in runs.stdout
        refused = subprocess.run(
            [sys.executable, "-c", _FLOW], env=viewer, capture_output=True, text=True, timeout=120
        )
        assert refused.returncode != 0
        assert "needs the operator role" in refused.stderr
        counted = httpx.post(
            f"{api}/task_runs/count", json={}, headers=_bearer(made["viewer"]), timeout=10
        )
        assert counted.json() == 20
        assert _cli(env, "api-key", "revoke", "operator").returncode == 0
