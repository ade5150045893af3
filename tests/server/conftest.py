"""A real app on an empty database, reached through FastAPI's TestClient: every test runs on
SQLite and on PostgreSQL (the ``database_url`` fixture of ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from praefect import settings
from praefect.server.app import create_app


@pytest.fixture
def make_app(database_url: str) -> Callable[..., FastAPI]:
    """An app on the test database with some settings changed."""

    def make(**changes: Any) -> FastAPI:
        current = settings.get_current_settings().model_copy(update=changes)
        return create_app(current, database_url=database_url)

    return make


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def flow_id(client: TestClient) -> str:
    return client.post("/api/flows/", json={"name": "api-flow"}).json()["id"]


@pytest.fixture
def new_run(client: TestClient, flow_id: str) -> Callable[..., dict[str, Any]]:
    """Create a flow run in the given state (type name), with extra create fields."""

    def create(state: str | None = None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"flow_id": flow_id, **fields}
        if state is not None:
            body["state"] = {"type": state}
        response = client.post("/api/flow_runs/", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return create
