"""Concurrency slots as lease rows, in the service layer (SQLite and PostgreSQL; the clock is
passed as ``now``, nothing sleeps)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from praefect import database, exceptions
from praefect.orchestration import concurrency as c

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def run(engine):
    def run(fn):
        return database.write(engine, fn)

    return run


def take(run, names, slots=1, now=T0, **request):
    return run(lambda conn: c.acquire(conn, {"names": names, "slots": slots, **request}, now=now))


def test_occupancy_is_the_count_of_live_leases_and_a_lease_not_renewed_frees_itself(run):
    run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 2}, now=T0))
    first = take(run, ["db"], lease_duration=10)
    second = take(run, ["db"], lease_duration=30)
    assert first["lease_id"] and second["lease_id"]
    refused = take(run, ["db"], now=at(5))
    assert refused["lease_id"] is None
    assert [b["name"] for b in refused["blocked"]] == ["db"]
    assert 0 < refused["retry_after"] <= 5  # the first lease runs out at 10 s
    assert run(lambda conn: c.read_limit(conn, "db", now=at(5)))["active_slots"] == 2
    # the first holder stopped renewing: at 10 s its slot is free, the second's is not
    assert run(lambda conn: c.read_limit(conn, "db", now=at(10)))["active_slots"] == 1
    assert take(run, ["db"], now=at(10))["lease_id"] is not None
    assert run(lambda conn: c.read_limit(conn, "db", now=at(10)))["denied_slots"] == 1


def test_a_renewed_lease_is_kept_and_an_expired_one_is_not_brought_back(run):
    run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 1}, now=T0))
    lease = take(run, ["db"], lease_duration=10)["lease_id"]
    assert run(lambda conn: c.renew_lease(conn, lease, 10, now=at(8)))
    assert take(run, ["db"], now=at(15))["lease_id"] is None  # renewed until 18 s
    assert not run(lambda conn: c.renew_lease(conn, lease, 10, now=at(19)))
    assert take(run, ["db"], now=at(19))["lease_id"] is not None
    assert not run(lambda conn: c.release_lease(conn, lease, now=at(20)))


def test_slots_of_several_limits_are_taken_all_or_none(run):
    run(lambda conn: c.create_limit(conn, {"name": "a", "limit": 1}, now=T0))
    run(lambda conn: c.create_limit(conn, {"name": "b", "limit": 1}, now=T0))
    assert take(run, ["b"])["lease_id"]
    refused = take(run, ["a", "b"])
    assert refused["lease_id"] is None and [b["name"] for b in refused["blocked"]] == ["b"]
    assert run(lambda conn: c.read_limit(conn, "a", now=T0))["active_slots"] == 0


def test_every_holder_is_visible(run):
    run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 3}, now=T0))
    task_run_id = uuid.uuid4()
    holder = {"type": "task_run", "id": task_run_id}
    lease = take(run, ["db"], slots=2, holder=holder, lease_duration=60)["lease_id"]
    run(lambda conn: c.acquire(conn, {"names": ["db"], "slots": 1}, owner="box:42", now=at(1)))
    leases = run(lambda conn: c.read_leases(conn, "db", now=at(2)))
    assert [(x["lease_id"], x["slots"], x["holder_id"]) for x in leases][0] == (
        lease,
        2,
        task_run_id,
    )
    assert leases[0]["acquired"] == T0 and leases[0]["expires"] == at(60)
    assert leases[1]["owner"] == "box:42"


def test_limit_of_zero_refuses_and_more_slots_than_the_limit_is_an_error(run):
    run(lambda conn: c.create_limit(conn, {"name": "closed", "limit": 0}, now=T0))
    run(lambda conn: c.create_limit(conn, {"name": "two", "limit": 2}, now=T0))
    assert take(run, ["closed"])["blocked"][0]["limit"] == 0
    with pytest.raises(exceptions.ConcurrencySlotAcquisitionError, match="two") as info:
        take(run, ["two"], slots=3)
    assert info.value.names == ["two"]


def test_missing_and_inactive_limits_limit_nothing_and_per_key_limits_are_made_on_demand(run):
    run(lambda conn: c.create_limit(conn, {"name": "off", "limit": 0, "active": False}, now=T0))
    answer = take(run, ["off", "nowhere"])
    assert answer["lease_id"] is not None and answer["limits"] == []
    made = take(run, ["user:7"], create_limit=1)
    assert [x["name"] for x in made["limits"]] == ["user:7"]
    assert take(run, ["user:7"], create_limit=1)["lease_id"] is None


def test_a_rate_limit_lets_slots_through_at_its_decay_rate(run):
    limit = {"name": "api", "limit": 2, "slot_decay_per_second": 2.0}
    run(lambda conn: c.create_limit(conn, limit, now=T0))
    assert take(run, ["api"], mode="rate_limit")["lease_id"]
    assert take(run, ["api"], mode="rate_limit")["lease_id"]
    refused = take(run, ["api"], mode="rate_limit")
    assert refused["lease_id"] is None and refused["retry_after"] == pytest.approx(0.5)
    assert take(run, ["api"], mode="rate_limit", now=at(0.5))["lease_id"]
    assert take(run, ["api"], mode="rate_limit", now=at(0.6))["lease_id"] is None
    run(lambda conn: c.create_limit(conn, {"name": "plain", "limit": 2}, now=T0))
    with pytest.raises(ValueError, match="slot_decay_per_second"):
        take(run, ["plain"], mode="rate_limit")


def test_updating_active_slots_resets_and_bad_limits_are_refused(run):
    run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 2}, now=T0))
    take(run, ["db"], slots=2, lease_duration=60)
    assert run(lambda conn: c.update_limit(conn, "db", {"active_slots": 0}, now=T0))
    assert run(lambda conn: c.read_limit(conn, "db", now=T0))["active_slots"] == 0
    with pytest.raises(ValueError, match="limit must be a whole number, 0 or more; got -1"):
        run(lambda conn: c.create_limit(conn, {"name": "bad", "limit": -1}))
    with pytest.raises(ValueError, match="got 2.5"):
        run(lambda conn: c.update_limit(conn, "db", {"limit": 2.5}))
    assert run(lambda conn: c.read_limit(conn, "bad")) is None
    with pytest.raises(exceptions.ObjectAlreadyExists):
        run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 1}))


def test_tag_limits_are_limits_named_after_their_tag_held_by_task_runs(run):
    row = run(lambda conn: c.create_tag_limit(conn, "db", 1, now=T0))
    assert (row["tag"], row["concurrency_limit"], row["active_slots"]) == ("db", 1, [])
    task_run_id = uuid.uuid4()
    assert run(lambda conn: c.take_tag_slots(conn, ["db", "other"], task_run_id, now=T0))[
        "lease_id"
    ]
    assert run(lambda conn: c.read_tag_limit(conn, "db", now=T0))["active_slots"] == [task_run_id]
    assert run(lambda conn: c.read_limit(conn, "tag:db", now=T0))["active_slots"] == 1
    run(lambda conn: c.release_tag_slots(conn, ["db"], task_run_id, now=at(1)))
    assert run(lambda conn: c.read_tag_limit(conn, "db", now=at(1)))["active_slots"] == []
    assert run(lambda conn: c.create_tag_limit(conn, "db", 3))["concurrency_limit"] == 3
    assert [x["tag"] for x in run(lambda conn: c.read_tag_limits(conn))] == ["db"]
    assert run(lambda conn: c.reset_tag_limit(conn, "db", [task_run_id], now=T0))
    assert run(lambda conn: c.read_tag_limit(conn, row["id"], now=T0))["active_slots"] == [
        task_run_id
    ]
    assert run(lambda conn: c.delete_tag_limit(conn, "db"))
    assert run(lambda conn: c.read_tag_limit(conn, "db")) is None


def test_many_takers_at_once_never_hold_more_than_the_limit(engine, run):
    run(lambda conn: c.create_limit(conn, {"name": "db", "limit": 2}))
    granted: list[uuid.UUID] = []
    lock = threading.Lock()

    def taker() -> None:
        for _ in range(5):
            answer = database.write(
                engine, lambda conn: c.acquire(conn, {"names": ["db"], "slots": 1})
            )
            if answer["lease_id"] is not None:
                with lock:
                    granted.append(answer["lease_id"])

    threads = [threading.Thread(target=taker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 2  # nobody released: exactly the limit was given out
    assert run(lambda conn: c.read_limit(conn, "db"))["active_slots"] == 2
