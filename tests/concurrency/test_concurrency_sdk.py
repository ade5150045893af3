"""``praefect.concurrency``: the context managers users write (embedded store)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from praefect import exceptions, flow, get_client, task
from praefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from praefect.concurrency import asyncio as aconcurrency
from praefect.concurrency.sync import concurrency, rate_limit


def make_limit(name: str, limit: int, **fields) -> None:
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit, **fields)
        )


def read(name: str):
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name)


def test_threads_never_hold_more_slots_than_the_limit():
    make_limit("db", 2)
    lock = threading.Lock()
    holding, most = [0], [0]

    def work() -> None:
        with concurrency("db", occupy=1, timeout_seconds=30):
            with lock:
                holding[0] += 1
                most[0] = max(most[0], holding[0])
            time.sleep(0.02)
            with lock:
                holding[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2
    assert read("db").active_slots == 0


def test_a_missing_limit_raises_with_strict_and_warns_once_without(caplog):
    with pytest.raises(exceptions.ConcurrencySlotAcquisitionError, match="'nowhere'"):
        with concurrency("nowhere", strict=True):
            pytest.fail("ran without its limit")
    ran = []
    with caplog.at_level(logging.WARNING, logger="praefect.concurrency"):
        for _ in range(2):
            with concurrency("not-there"):
                ran.append(1)
    assert ran == [1, 1]
    warnings = [r for r in caplog.records if "not-there" in r.getMessage()]
    assert len(warnings) == 1


def test_a_limit_of_zero_blocks_until_the_timeout():
    make_limit("closed", 0)
    with pytest.raises(exceptions.AcquireConcurrencySlotTimeoutError, match="closed"):
        with concurrency("closed", timeout_seconds=0.2):
            pytest.fail("a limit of 0 let a holder in")


def test_max_retries_gives_up_naming_the_limit():
    make_limit("closed", 0)
    with pytest.raises(exceptions.ConcurrencySlotAcquisitionError, match="closed.*2 retries"):
        with concurrency("closed", max_retries=2):
            pytest.fail("a limit of 0 let a holder in")


def test_raising_the_limit_lets_a_waiter_in_and_a_release_wakes_the_next():
    make_limit("gate", 0)
    entered = threading.Event()

    def waiter() -> None:
        with concurrency("gate", timeout_seconds=30):
            entered.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not entered.wait(0.1)
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit("gate", {"limit": 1})
    assert entered.wait(10)
    thread.join()


def test_a_per_key_limit_is_made_when_missing():
    with concurrency("user:42", occupy=1, limit=3):
        limit = read("user:42")
        assert (limit.limit, limit.active_slots) == (3, 1)


def test_the_holder_of_a_slot_taken_in_a_task_is_its_task_run():
    make_limit("db", 1)
    seen = {}

    @task
    def query() -> None:
        with concurrency("db"):
            from praefect import client as _client

            leases = _client.get_orchestration_client().read_concurrency_leases("db")
            seen.update(leases[0])

    @flow
    def etl() -> None:
        query()

    etl()
    assert seen["holder_type"] == "task_run" and seen["slots"] == 1
    assert seen["owner"].endswith(f":{__import__('os').getpid()}")


def test_rate_limit_lets_calls_through_at_the_decay_rate():
    make_limit("api", 2, slot_decay_per_second=50.0)
    for _ in range(4):  # the last two wait ~20 ms each for a slot to decay
        rate_limit("api", timeout_seconds=10)
    with pytest.raises(exceptions.AcquireConcurrencySlotTimeoutError):
        make_limit("slow", 1, slot_decay_per_second=0.01)
        rate_limit("slow")
        rate_limit("slow", timeout_seconds=0.1)


def test_async_concurrency_lets_the_loop_run_while_it_waits():
    make_limit("db", 1)
    order = []

    async def holder(name: str) -> None:
        async with aconcurrency.concurrency("db", timeout_seconds=30):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    async def main() -> None:
        await asyncio.gather(holder("a"), holder("b"))
        await aconcurrency.rate_limit("missing")

    asyncio.run(main())
    assert order[1].endswith("out") and order[3].endswith("out")
    assert read("db").active_slots == 0
