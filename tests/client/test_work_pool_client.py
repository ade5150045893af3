"""The work-pool methods of the user-facing client, the same on both doors: the embedded store
and a real server over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from praefect import exceptions
from praefect.client.orchestration import PrefectClient, SyncPrefectClient
from praefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from praefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName
from praefect.client.schemas.objects import WorkPool


def test_pools_queues_and_workers_through_the_client(door):
    client = SyncPrefectClient(door)
    pool = client.create_work_pool(WorkPoolCreate(name="local", description="d"))
    assert isinstance(pool, WorkPool) and pool.type == "process"
    with pytest.raises(exceptions.ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name="local"))
    again = client.create_work_pool(WorkPoolCreate(name="local", description="new"), overwrite=True)
    assert (again.id, again.description) == (pool.id, "new")
    client.update_work_pool("local", WorkPoolUpdate(concurrency_limit=4))
    assert client.read_work_pool("local").concurrency_limit == 4
    named = WorkPoolFilter(name=WorkPoolFilterName(any_=["local"]))
    assert [p.name for p in client.read_work_pools(work_pool_filter=named)] == ["local"]
    with pytest.raises(exceptions.ObjectNotFound, match="'nope'"):
        client.read_work_pool("nope")

    queue = client.create_work_queue("high", priority=1, limit=2, work_pool_name="local")
    assert client.read_work_queue(queue.id).concurrency_limit == 2
    assert client.read_work_queue_by_name("high", work_pool_name="local").id == queue.id
    client.update_work_queue(queue.id, is_paused=True)
    assert client.read_work_queue(queue.id).status == "PAUSED"
    names = sorted(q.name for q in client.read_work_queues(work_pool_name="local"))
    assert names == ["default", "high"]
    client.delete_work_queue_by_id(queue.id)
    with pytest.raises(exceptions.ObjectNotFound):
        client.read_work_queue(queue.id)

    worker_id = client.send_worker_heartbeat("local", "w1", 5, get_worker_id=True)
    workers = client.read_workers_for_work_pool("local")
    assert [(w.id, w.name, w.status) for w in workers] == [(worker_id, "w1", "ONLINE")]
    assert client.read_work_pool("local").status == "READY"
    assert client.get_scheduled_flow_runs_for_work_pool("local") == []
    assert client.get_scheduled_flow_runs_for_deployments([]) == []
    client.delete_work_pool("local")
    with pytest.raises(exceptions.ObjectNotFound):
        client.delete_work_pool("local")


def test_the_async_client_has_the_work_pool_methods_too(door):
    async def main() -> str:
        async with PrefectClient(door) as client:
            await client.create_work_pool(WorkPoolCreate(name="async-pool"))
            return (await client.read_work_pool("async-pool")).name

    assert asyncio.run(main()) == "async-pool"
