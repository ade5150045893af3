"""Auth (basic and bearer), the body size limit and CORS."""

from __future__ import annotations

import base64
import uuid

import pytest
from fastapi.testclient import TestClient

from praefect import database, orchestration
from praefect.database import tables


def _basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _every_route(app):
    """(method, concrete path) of every API route, with a random id in place of parameters."""
    for path, operations in app.openapi()["paths"].items():
        concrete = path.replace("{id}", str(uuid.uuid4())).replace("{name}", "x")
        for method in operations:
            yield method.upper(), concrete


@pytest.mark.parametrize(
    ("settings", "good", "bad"),
    [
        ({"server_api_auth_string": "admin:s3cret"}, _basic("admin:s3cret"), _basic("admin:nope")),
        (
            {"server_api_keys": "k1,k2"},
            {"Authorization": "Bearer k2"},
            {"Authorization": "Bearer k3"},
        ),
    ],
    ids=["basic", "bearer"],
)
def test_every_route_but_health_refuses_unauthenticated_requests(
    make_app, database_url, settings, good, bad
):
    app = make_app(**settings)
    client = TestClient(app)
    routes = list(_every_route(app))
    assert len(routes) > 20
    body = {"name": "sneaky", "flow_id": str(uuid.uuid4()), "state": {"type": "RUNNING"}}
    for method, path in routes:
        for headers in ({}, bad, {"Authorization": "Basic !!!"}):
            response = client.request(method, path, json=body, headers=headers)
            if path == "/api/health":
                assert response.status_code == 200
                continue
            assert response.status_code == 401, (method, path, headers)
            assert "Not authenticated" in response.json()["detail"]
            assert "WWW-Authenticate" in response.headers
    engine = database.get_engine(database_url)
    for table in (tables.flow, tables.flow_run, tables.event):
        count = database.read(engine, lambda conn, t=table: conn.execute(t.select()).all())
        assert count == [], f"{table.name} was written by an unauthenticated request"
    assert client.post("/api/flows/", json={"name": "ok"}, headers=good).status_code == 201
    assert client.get("/docs").status_code == 401
    assert client.get("/docs", headers=good).status_code == 200


def test_both_basic_auth_and_api_keys_may_be_configured(make_app):
    client = TestClient(make_app(server_api_auth_string="u:p", server_api_keys="key"))
    assert client.get("/api/version", headers=_basic("u:p")).status_code == 200
    assert client.get("/api/version", headers={"Authorization": "Bearer key"}).status_code == 200
    assert client.get("/api/version", headers={"Authorization": "Bearer u:p"}).status_code == 401


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_written(make_app, database_url):
    client = TestClient(make_app(server_max_body_bytes=1000))
    logs = [{"name": "x", "level": 20, "message": "m" * 2000, "timestamp": "2024-01-01T00:00:00Z"}]
    response = client.post("/api/logs/", json=logs)
    assert response.status_code == 413
    assert "PRAEFECT_SERVER_MAX_BODY_BYTES" in response.json()["detail"]

    def chunks():
        yield b'[{"name": "x", "level": 20, "timestamp": "2024-01-01T00:00:00Z", "message": "'
        for _ in range(20):
            yield b"m" * 100
        yield b'"}]'

    streamed = client.post(
        "/api/logs/", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    engine = database.get_engine(database_url)
    assert database.read(engine, orchestration.logs.read_many) == []
    assert client.post("/api/flows/", json={"name": "small"}).status_code == 201


def test_cors_allows_configured_origins_only(make_app):
    client = TestClient(make_app(server_cors_allowed_origins="https://ui.example"))
    preflight = {
        "Origin": "https://ui.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/api/flow_runs/filter", headers=preflight)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://ui.example"
    other = client.options("/api/flow_runs/filter", headers={**preflight, "Origin": "https://evil"})
    assert other.status_code == 400
