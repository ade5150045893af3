"""DNS rebinding: a server on a loopback address answers only a ``Host`` that names it (a
loopback name or address, the address it listens on, or PRAEFECT_SERVER_ALLOWED_HOSTS)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from praefect import settings
from praefect.server.app import create_app
from tests.conftest import running_server


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hosts.db'}"  # the check is the same on every database


def _client(database_url: str, listening_on: str | None, **changes: str) -> TestClient:
    current = settings.get_current_settings().model_copy(update=changes)
    app = create_app(current, database_url=database_url, listening_on=listening_on)
    return TestClient(app, base_url="http://localhost:4200")


@pytest.mark.parametrize("path", ["/api/flows/filter", "/api/health", "/"])
def test_a_rebound_name_is_refused_with_400(database_url, path):
    with _client(database_url, "127.0.0.1") as client:
        method = client.post if path.endswith("filter") else client.get
        answer = method(path, headers={"host": "evil.example:4200"})
        assert answer.status_code == 400
        assert "Host 'evil.example:4200'" in answer.json()["detail"]
        assert "PRAEFECT_SERVER_ALLOWED_HOSTS" in answer.json()["detail"]
        for host in ("localhost:4200", "127.0.0.1:4200", "[::1]:4200", "ui.localhost"):
            assert method(path, headers={"host": host}).status_code == 200, host


def test_listed_names_are_answered_and_star_turns_the_check_off(database_url):
    with _client(database_url, "127.0.0.1", server_allowed_hosts="praefect.internal") as client:
        assert (
            client.get("/api/health", headers={"host": "praefect.internal:80"}).status_code == 200
        )
        assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 400
    with _client(database_url, "127.0.0.1", server_allowed_hosts="*") as client:
        assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 200


def test_a_server_on_all_addresses_answers_any_host_unless_names_are_listed(database_url):
    with _client(database_url, "0.0.0.0") as client:
        assert client.get("/api/health", headers={"host": "praefect.lan:4200"}).status_code == 200
    with _client(database_url, "0.0.0.0", server_allowed_hosts="praefect.lan") as client:
        assert client.get("/api/health", headers={"host": "praefect.lan:4200"}).status_code == 200
        assert client.get("/api/health", headers={"host": "0.0.0.0:4200"}).status_code == 200
        assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 400


def test_praefect_server_start_refuses_a_rebound_name(cli_env):
    with running_server(cli_env, "--no-services") as (_, api), httpx.Client(timeout=10) as http:
        port = api.split(":")[-1].split("/")[0]
        assert http.get(f"{api}/health").status_code == 200
        rebound = http.get(f"{api}/health", headers={"host": f"evil.example:{port}"})
        assert rebound.status_code == 400, rebound.text
        assert http.get(f"{api}/health", headers={"host": f"localhost:{port}"}).status_code == 200
