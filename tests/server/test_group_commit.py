"""Short writes of concurrent requests share one SQLite transaction (``server.api._writes``)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa

from praefect import database, exceptions, orchestration
from praefect.database import tables
from praefect.server.api import _writes


def _commits(engine: sa.Engine) -> list[int]:
    seen: list[int] = []
    sa.event.listen(engine, "commit", lambda conn: seen.append(1))
    return seen


def _add_flow(name: str):  # type: ignore[no-untyped-def]
    return lambda conn: orchestration.flows.ensure(conn, name)


def _names(engine: sa.Engine) -> list[str]:
    query = sa.select(tables.flow.c.name).order_by(tables.flow.c.name)
    return database.read(engine, lambda conn: list(conn.execute(query).scalars()))


def test_concurrent_writes_commit_once_in_arrival_order(database_url):
    engine = database.get_engine(database_url)
    commits = _commits(engine)
    order: list[str] = []

    def add(name: str):  # type: ignore[no-untyped-def]
        def fn(conn: sa.Connection) -> str:
            order.append(name)
            orchestration.flows.ensure(conn, name)
            return name

        return fn

    async def main() -> list[str]:
        return await asyncio.gather(*(_writes.write(engine, add(f"f{i}")) for i in range(5)))

    assert asyncio.run(main()) == ["f0", "f1", "f2", "f3", "f4"]
    assert _names(engine) == ["f0", "f1", "f2", "f3", "f4"]
    if engine.dialect.name == "sqlite":
        assert order == ["f0", "f1", "f2", "f3", "f4"]
        assert len(commits) == 1
    else:  # PostgreSQL: each write in its own transaction, side by side in the thread pool
        assert len(commits) == 5


def test_a_failing_write_fails_alone(database_url):
    engine = database.get_engine(database_url)

    def fail(conn: sa.Connection) -> None:
        orchestration.flows.ensure(conn, "written-then-rolled-back")
        raise exceptions.FlowNotFound("no such flow", flow_id=uuid.UUID(int=0))

    async def main() -> list[object]:
        writes = [_writes.write(engine, _add_flow("a")), _writes.write(engine, fail)]
        writes.append(_writes.write(engine, _add_flow("b")))
        return await asyncio.gather(*writes, return_exceptions=True)

    first, failed, third = asyncio.run(main())
    assert isinstance(first, uuid.UUID) and isinstance(third, uuid.UUID)
    assert isinstance(failed, exceptions.FlowNotFound)
    assert _names(engine) == ["a", "b"]


@pytest.mark.parametrize("clients", [16])
def test_concurrent_flow_run_creates_are_all_stored(app, clients):
    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            flow = await client.post("/api/flows/", json={"name": "many"})
            body = {"flow_id": flow.json()["id"], "tags": ["t"]}
            sent = [client.post("/api/flow_runs/", json=body) for _ in range(clients)]
            sent.append(client.post("/api/flow_runs/", json={"flow_id": str(uuid.uuid4())}))
            answers = await asyncio.gather(*sent)
            count = await client.post("/api/flow_runs/count", json={})
            return [r.status_code for r in answers] + [count.json()]

    *statuses, stored = asyncio.run(main())
    assert statuses == [201] * clients + [404]
    assert stored == clients
