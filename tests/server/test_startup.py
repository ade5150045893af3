"""``praefect server start`` answers its health check before it imports what only other
requests need (``create_app(lazy=True)``), and the app it serves is the same once they come:
every route, the same OpenAPI document, the web UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from praefect.server.app import ALWAYS_LOADED, create_app
from tests.conftest import free_port, running_server

# What the server imports only for a request that needs it (or for a database not at head).
NOT_IMPORTED_AT_START = (
    "alembic",
    "jinja2",
    "croniter",
    "dateutil",
    "encodings.idna",
    "praefect.schemas.schedules",
    "rich",
    "pydantic.v1",
    "sqlalchemy.dialects.postgresql",
    "praefect.server.api.flows",
    "praefect.server.api.flow_runs",
    "praefect.server.api.deployments",
    "praefect.server.api.work_pools",
    "praefect.schemas.filters",
    "praefect.schemas.objects",
    "praefect.ui.pages",
    "praefect.ui.live",
    "praefect.ui.templating",
)

# Run in the server's process: once the server answers its health check (asked with a bare
# socket, so that the probe imports nothing), print the modules it has imported, then exit.
_PROBE = """
import gc, os, socket, sys, threading, time

def probe():
    while True:
        try:
            with socket.socket() as s:  # create_connection() would load the idna codec
                s.connect(("127.0.0.1", PORT))
                s.sendall(b"GET /api/health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
                if s.recv(100).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            time.sleep(0.05)
    time.sleep(1.0)  # the services' first passes
    print("gc enabled", gc.isenabled(), "frozen", gc.get_freeze_count())
    print("\\n".join(sorted(sys.modules)), flush=True)
    os._exit(0)

threading.Thread(target=probe, daemon=True).start()
sys.argv = ["praefect", "server", "start", "--port", str(PORT)]
from praefect.cli import main
main()
"""


def _modules_at_start(env: dict[str, str]) -> tuple[str, set[str]]:
    code = _PROBE.replace("PORT", str(free_port()))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    gc_line = next(line for line in lines if line.startswith("gc enabled"))
    return gc_line, set(lines)


def test_server_start_imports_only_what_its_health_check_needs(
    tmp_path: Path, cli_env: dict[str, str]
):
    env = {**cli_env, "PRAEFECT_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}
    for database in ("fresh", "existing"):
        gc_line, modules = _modules_at_start(env)
        assert "praefect.server.api.admin" in modules and "praefect.server.services" in modules
        imported = [name for name in NOT_IMPORTED_AT_START if name in modules]
        assert not imported, f"{database} database: imported at start: {imported}"
        # the collector, off during start-up, is on again (with the start-up's objects frozen)
        assert gc_line.startswith("gc enabled True frozen ") and not gc_line.endswith(" 0")


def _paths(app: FastAPI) -> dict[str, set[str]]:
    document = app.openapi()
    return {path: set(operations) for path, operations in document["paths"].items()}


def test_lazy_app_has_every_route_and_the_same_openapi_document():
    eager = create_app(database_url="sqlite:///:memory:")
    lazy = create_app(database_url="sqlite:///:memory:", lazy=True)
    with TestClient(lazy) as client:
        assert client.get("/api/health").json() is True
        assert len(lazy.routes) < 10  # docs, openapi.json and admin only, so far
        document = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    assert document == eager.openapi()
    assert len(_paths(eager)) > 50
    assert {"/api/health", "/api/flows/", "/api/flow_runs/filter", "/api/deployments/"} <= set(
        document["paths"]
    )


def test_lazy_app_loads_the_routes_on_the_first_request_that_needs_them():
    lazy = create_app(database_url="sqlite:///:memory:", lazy=True)
    with TestClient(lazy) as client:
        assert client.get("/api/version").status_code == 200
        created = client.post("/api/flows/", json={"name": "etl"})
        assert created.status_code == 201, created.text
        flow_id = created.json()["id"]
        assert client.get(f"/api/flows/{flow_id}").json()["name"] == "etl"
        refused = client.post("/api/flow_runs/", json={"flow_id": "not-a-uuid"})
        assert refused.status_code == 422 and "flow_id" in refused.json()["exception_message"]
        assert client.get("/flows").status_code == 200  # a web UI page
        assert client.get("/static/app.css").status_code == 200
    eager = create_app(database_url="sqlite:///:memory:")
    assert [type(r).__name__ for r in lazy.routes] == [type(r).__name__ for r in eager.routes]


def _order(app: FastAPI) -> list[object]:
    # an included router by the module's router object (shared by every app), others by path
    return [getattr(route, "original_router", None) or route.path for route in app.routes]  # type: ignore[attr-defined]


def _ask(client: TestClient, path: str) -> bool:
    if path.startswith("/api/"):
        return client.post(path, json={}).is_success
    return client.get(path).is_success


def test_lazy_app_routes_end_in_the_eager_order_whichever_group_loads_first():
    eager = _order(create_app(database_url="sqlite:///:memory:"))
    for first, then in (("/api/flows/filter", "/runs"), ("/runs", "/api/flows/filter")):
        lazy = create_app(database_url="sqlite:///:memory:", lazy=True)
        with TestClient(lazy) as client:
            assert _ask(client, first)
            assert len(lazy.routes) < len(eager)  # that group only
            assert _ask(client, then)
        assert _order(lazy) == eager


def test_always_loaded_paths_are_the_admin_routes():
    assert ALWAYS_LOADED == {
        "/api/health",
        "/api/version",
        "/api/admin/version",
        "/api/admin/praefect-version",
    }


def test_a_lazy_app_serves_a_path_it_does_not_know_as_the_eager_one_does():
    lazy = TestClient(create_app(database_url="sqlite:///:memory:", lazy=True))
    eager = TestClient(create_app(database_url="sqlite:///:memory:"))
    for path in ("/api/nothing-here", "/api/health/"):
        assert lazy.get(path).status_code == eager.get(path).status_code


def test_concurrent_first_requests_to_a_started_server_all_succeed(
    tmp_path: Path, cli_env: dict[str, str]
):
    import threading

    import httpx

    env = {**cli_env, "PRAEFECT_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}
    with running_server(env, "--no-services") as (_, api):
        with httpx.Client(base_url=api.removesuffix("/api"), timeout=60) as http:
            paths = ["/api/flows/filter", "/runs", "/api/flow_runs/filter", "/flows"] * 4
            answers: list[int] = []

            def ask(path: str) -> None:
                if path.startswith("/api/"):
                    answers.append(http.post(path, json={}).status_code)
                else:
                    answers.append(http.get(path).status_code)

            threads = [threading.Thread(target=ask, args=(path,)) for path in paths]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
    assert answers == [200] * len(paths)
