"""Concurrency limits through both doors (embedded and a real server), and Prefect's bodies on
the wire."""

from __future__ import annotations

import uuid

import httpx
import pytest

from praefect import exceptions
from praefect.schemas import concurrency as cs


def test_global_limits_are_created_read_changed_and_deleted(door, user_client):
    limit_id = user_client.create_global_concurrency_limit(
        cs.GlobalConcurrencyLimitCreate(name="db", limit=2, slot_decay_per_second=0.5)
    )
    limit = user_client.read_global_concurrency_limit_by_name("db")
    assert (limit.id, limit.limit, limit.active, limit.active_slots) == (limit_id, 2, True, 0)
    assert limit.slot_decay_per_second == 0.5 and limit.avg_slot_occupancy_seconds == 2.0
    assert door.read_global_concurrency_limit(str(limit_id))["name"] == "db"
    user_client.update_global_concurrency_limit("db", {"limit": 5, "active": False})
    assert user_client.read_global_concurrency_limit_by_name("db").limit == 5
    user_client.upsert_global_concurrency_limit_by_name("other", 1)
    assert [x.name for x in user_client.read_global_concurrency_limits()] == ["db", "other"]
    with pytest.raises(exceptions.ObjectAlreadyExists):
        user_client.create_global_concurrency_limit({"name": "db", "limit": 1})
    user_client.delete_global_concurrency_limit_by_name("db")
    with pytest.raises(exceptions.ObjectNotFound):
        user_client.read_global_concurrency_limit_by_name("db")
    assert not door.delete_global_concurrency_limit("db")


def test_slots_are_taken_refused_renewed_and_given_back(door, user_client):
    user_client.create_global_concurrency_limit({"name": "db", "limit": 1})
    holder = cs.ConcurrencyLeaseHolder(type="flow_run", id=uuid.uuid4())
    request = cs.ConcurrencySlotsRequest(names=["db"], slots=1, lease_duration=30, holder=holder)
    taken = door.acquire_concurrency_slots(request)
    assert isinstance(taken["lease_id"], uuid.UUID)
    assert [x["name"] for x in taken["limits"]] == ["db"]
    refused = door.acquire_concurrency_slots(request)
    assert refused["lease_id"] is None and refused["blocked"][0]["name"] == "db"
    assert refused["retry_after"] > 0
    leases = door.read_concurrency_leases("db")
    assert [(x["lease_id"], x["holder_id"]) for x in leases] == [(taken["lease_id"], holder.id)]
    assert door.renew_concurrency_lease(taken["lease_id"], 30)
    assert door.release_concurrency_lease(taken["lease_id"])
    assert not door.renew_concurrency_lease(taken["lease_id"], 30)
    assert user_client.read_global_concurrency_limit_by_name("db").active_slots == 0
    with pytest.raises(exceptions.ConcurrencySlotAcquisitionError, match="db"):
        door.acquire_concurrency_slots(cs.ConcurrencySlotsRequest(names=["db"], slots=2))


def test_tag_limits_through_the_client(door, user_client):
    limit_id = user_client.create_concurrency_limit(tag="db", concurrency_limit=1)
    assert user_client.create_concurrency_limit(tag="db", concurrency_limit=2) == limit_id
    limit = user_client.read_concurrency_limit_by_tag("db")
    assert (limit.id, limit.tag, limit.concurrency_limit, limit.active_slots) == (
        limit_id,
        "db",
        2,
        [],
    )
    task_run_id = uuid.uuid4()
    holder = cs.ConcurrencyLeaseHolder(type="task_run", id=task_run_id)
    door.acquire_concurrency_slots(
        cs.ConcurrencySlotsRequest(names=["tag:db"], slots=1, holder=holder)
    )
    assert user_client.read_concurrency_limit_by_tag("db").active_slots == [task_run_id]
    assert [x.tag for x in user_client.read_concurrency_limits(limit=10, offset=0)] == ["db"]
    user_client.reset_concurrency_limit_by_tag("db")
    assert user_client.read_concurrency_limit_by_tag("db").active_slots == []
    user_client.delete_concurrency_limit_by_tag("db")
    with pytest.raises(exceptions.ObjectNotFound):
        user_client.reset_concurrency_limit_by_tag("db")


def test_bad_limits_are_refused_with_422_naming_the_field(door):
    if not hasattr(door, "transport"):
        pytest.skip("the wire: HTTP only")
    api = door.url
    for bad in (-1, 2.5, "many"):
        answer = httpx.post(f"{api}/v2/concurrency_limits/", json={"name": "x", "limit": bad})
        assert answer.status_code == 422
        assert "body.limit" in answer.json()["exception_message"]
    too_many = {"name": "x", "limit": 10**9, "active_slots": 10**9}
    answer = httpx.post(f"{api}/v2/concurrency_limits/", json=too_many)
    assert answer.status_code == 422 and "body.active_slots" in answer.json()["exception_message"]
    answer = httpx.post(f"{api}/concurrency_limits/", json={"tag": "t", "concurrency_limit": -3})
    assert answer.status_code == 422 and "concurrency_limit" in answer.json()["exception_message"]
    assert httpx.post(f"{api}/v2/concurrency_limits/filter", json={}).json() == []


def test_prefects_v1_increment_and_decrement_bodies(door):
    if not hasattr(door, "transport"):
        pytest.skip("the wire: HTTP only")
    api = door.url
    httpx.post(f"{api}/concurrency_limits/", json={"tag": "db", "concurrency_limit": 1})
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    taken = httpx.post(
        f"{api}/concurrency_limits/increment", json={"names": ["db"], "task_run_id": first}
    )
    assert taken.status_code == 200 and taken.json()[0]["name"] == "tag:db"
    locked = httpx.post(
        f"{api}/concurrency_limits/increment", json={"names": ["db"], "task_run_id": second}
    )
    assert locked.status_code == 423 and float(locked.headers["Retry-After"]) > 0
    body = {"names": ["db"], "task_run_id": first, "occupancy_seconds": 1.0}
    assert httpx.post(f"{api}/concurrency_limits/decrement", json=body).status_code == 200
    assert httpx.get(f"{api}/concurrency_limits/tag/db").json()["active_slots"] == []
    # the v2 increment without a lease, then its decrement
    httpx.post(f"{api}/v2/concurrency_limits/", json={"name": "api", "limit": 1})
    body = {"names": ["api"], "slots": 1, "mode": "concurrency"}
    assert httpx.post(f"{api}/v2/concurrency_limits/increment", json=body).status_code == 200
    assert httpx.post(f"{api}/v2/concurrency_limits/increment", json=body).status_code == 423
    body = {"names": ["api"], "slots": 1, "occupancy_seconds": 0.5}
    assert httpx.post(f"{api}/v2/concurrency_limits/decrement", json=body).status_code == 200
    assert httpx.get(f"{api}/v2/concurrency_limits/api").json()["active_slots"] == 0


def test_slots_taken_without_a_lease_and_tag_slots_of_a_task_run(door, user_client):
    user_client.create_global_concurrency_limit({"name": "db", "limit": 1})
    assert [x.name for x in user_client.increment_concurrency_slots(["db"], 1)] == ["db"]
    with pytest.raises(exceptions.ConcurrencySlotAcquisitionError, match="db"):
        user_client.increment_concurrency_slots(["db"], 1)
    user_client.release_concurrency_slots(["db"], 1, occupancy_seconds=0.5)
    assert user_client.read_global_concurrency_limit_by_name("db").active_slots == 0
    user_client.create_concurrency_limit(tag="etl", concurrency_limit=1)
    task_run_id = uuid.uuid4()
    user_client.increment_v1_concurrency_slots(["etl"], task_run_id)
    assert user_client.read_concurrency_limit_by_tag("etl").active_slots == [task_run_id]
    user_client.decrement_v1_concurrency_slots(["etl"], task_run_id, occupancy_seconds=1.0)
    assert user_client.read_concurrency_limit_by_tag("etl").active_slots == []
