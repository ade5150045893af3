"""A holder killed with ``kill -9`` gives its slot back within its lease, for real: a
subprocess takes the slot and is killed (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from praefect import get_client
from praefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from praefect.concurrency.sync import concurrency

HOLDER = textwrap.dedent(
    """
    import sys, time
    from praefect.concurrency.sync import concurrency

    with concurrency("db", lease_duration=1.0, strict=True):
        print("held", flush=True)
        time.sleep(600)
    """
)


@pytest.mark.faults
@pytest.mark.skipif(sys.platform == "win32", reason="kill -9")
def test_a_holder_killed_with_kill_9_frees_its_slot_within_its_lease(use_database):
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="db", limit=1))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with get_client(sync_client=True) as client:
            assert client.read_global_concurrency_limit_by_name("db").active_slots == 1
        from praefect import client as _client

        leases = _client.get_orchestration_client().read_concurrency_leases("db")
        assert leases and leases[0]["owner"].endswith(f":{holder.pid}")
        # while the holder lives its lease is renewed: the slot stays taken past its lease
        with pytest.raises(TimeoutError):
            with concurrency("db", timeout_seconds=1.5):
                pytest.fail("took a slot a live holder renews")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        with concurrency("db", timeout_seconds=10):
            with get_client(sync_client=True) as client:
                assert client.read_global_concurrency_limit_by_name("db").active_slots == 1
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
