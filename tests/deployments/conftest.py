"""Helpers for the deployment SDK tests: Prefect's sync client onto this test's store, and
work pools in it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import praefect
from praefect.schemas.work_pools import WorkPoolCreate


@pytest.fixture
def client() -> Iterator[Any]:
    with praefect.get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def work_pool(client: Any) -> Callable[[str], uuid.UUID]:
    """Create a process work pool; return the id of its default queue."""

    def add(name: str) -> uuid.UUID:
        return client.create_work_pool(WorkPoolCreate(name=name, type="process")).default_queue_id

    return add
