"""The two doors of the SDK to orchestration, for tests that must pass through both: the
embedded store (``EmbeddedClient``) and a real server on a loopback port (``HttpClient``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from praefect.client.embedded import EmbeddedClient
from praefect.client.http import HttpClient
from praefect.client.orchestration import SyncPrefectClient
from praefect.server.background import BackgroundServer


@pytest.fixture(params=["embedded", "http"])
def door(request: pytest.FixtureRequest, praefect_home: Path) -> Iterator[object]:
    """An orchestration client onto a fresh SQLite database: in-process, or over HTTP to a
    server on that database."""
    url = f"sqlite:///{praefect_home / 'door.db'}"
    if request.param == "embedded":
        orchestration_client = EmbeddedClient(url)
        yield orchestration_client
        orchestration_client.close()
        return
    with BackgroundServer(database_url=url) as server:
        orchestration_client = HttpClient(server.api_url, home=praefect_home, retry_seconds=5.0)
        yield orchestration_client
        orchestration_client.close()


@pytest.fixture
def user_client(door: object) -> SyncPrefectClient:
    """The user-facing client (``get_client(sync_client=True)``) over ``door``."""
    return SyncPrefectClient(door)
