"""Helpers for the deployment SDK tests: a work pool in this test's store, and Prefect's sync
client onto it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import praefect
from praefect import client as praefect_client
from praefect import database
from praefect.database import tables


@pytest.fixture
def client() -> Iterator[Any]:
    with praefect.get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def work_pool() -> Callable[[str], uuid.UUID]:
    """Add a work pool with its ``default`` queue to this test's store, as rows (the work pool
    service is another module's); return the queue's id."""

    def add(name: str) -> uuid.UUID:
        pool_id, queue_id = uuid.uuid4(), uuid.uuid4()
        now = dt.datetime.now(dt.UTC)

        def write(conn: sa.Connection) -> None:
            conn.execute(
                tables.work_pool.insert().values(
                    id=pool_id, name=name, type="process", base_job_template={},
                    default_queue_id=queue_id, created=now, updated=now,
                )
            )  # fmt: skip
            conn.execute(
                tables.work_queue.insert().values(
                    id=queue_id, name="default", work_pool_id=pool_id, created=now, updated=now
                )
            )

        engine = praefect_client.get_orchestration_client().engine
        database.write(engine, write)
        return queue_id

    return add
