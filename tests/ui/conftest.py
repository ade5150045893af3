"""The web UI's pages on a real app: through FastAPI's TestClient on each database backend
(``test_pages.py``), and in a real browser against a real server (``test_browser.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from praefect import settings
from praefect.server.app import create_app
from praefect.ui import guard


@pytest.fixture
def make_app(database_url: str) -> Callable[..., FastAPI]:
    """An app on the test database with some settings changed."""

    def make(**changes: Any) -> FastAPI:
        current = settings.get_current_settings().model_copy(update=changes)
        return create_app(current, database_url=database_url)

    return make


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> TestClient:
    """A client that has seen a page, so it holds the CSRF cookie, and sends the token with
    each request as the UI's pages do."""
    client = TestClient(make_app())
    assert client.get("/dashboard").status_code == 200
    client.headers[guard.HEADER] = client.cookies[guard.COOKIE]
    return client


@pytest.fixture
def new_run(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Create a flow run of flow ``flow`` in state ``state`` through the API."""
    flows: dict[str, str] = {}

    def create(state: str = "COMPLETED", flow: str = "etl", **fields: Any) -> dict[str, Any]:
        if flow not in flows:
            flows[flow] = client.post("/api/flows/", json={"name": flow}).json()["id"]
        body = {"flow_id": flows[flow], "state": {"type": state}, **fields}
        response = client.post("/api/flow_runs/", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return create
