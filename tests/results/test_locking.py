from __future__ import annotations

import pickle
import subprocess
import sys
import threading
import time

import pytest

from praefect.locking import FileSystemLockManager, LockManager, MemoryLockManager


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "file", "redis"])
def locks(request, tmp_path):
    if request.param == "memory":
        return MemoryLockManager(clock=time.monotonic)  # a private instance
    if request.param == "file":
        return FileSystemLockManager(tmp_path / "locks")
    return request.getfixturevalue("redis_lock_manager")


def test_lock_managers_follow_the_protocol(locks):
    assert isinstance(locks, LockManager)


def test_acquire_release_and_inspect(locks):
    assert not locks.is_locked("k")
    assert locks.acquire_lock("k", holder="a")
    assert locks.is_locked("k")
    assert locks.is_lock_holder("k", "a")
    assert not locks.is_lock_holder("k", "b")
    assert locks.acquire_lock("k", holder="a", acquire_timeout=0)  # re-entrant for its holder
    locks.release_lock("k", holder="a")
    assert not locks.is_locked("k")


def test_another_holder_waits_and_times_out(locks):
    assert locks.acquire_lock("k", holder="a")
    started = time.monotonic()
    assert not locks.acquire_lock("k", holder="b", acquire_timeout=0.2)
    assert 0.15 <= time.monotonic() - started < 30  # it waited, then gave up (not forever)
    assert not locks.wait_for_lock("k", timeout=0.05)
    locks.release_lock("k", holder="a")
    assert locks.wait_for_lock("k", timeout=0.05)


def test_only_the_holder_may_release(locks):
    assert locks.acquire_lock("k", holder="a")
    with pytest.raises(ValueError, match="'b'"):
        locks.release_lock("k", holder="b")
    with pytest.raises(ValueError):
        locks.release_lock("other", holder="a")
    locks.release_lock("k", holder="a")


def test_a_waiter_gets_the_lock_when_it_is_released(locks):
    assert locks.acquire_lock("k", holder="a")
    got = []
    waiter = threading.Thread(target=lambda: got.append(locks.acquire_lock("k", holder="b")))
    waiter.start()
    time.sleep(0.1)
    assert got == []
    locks.release_lock("k", holder="a")
    waiter.join(5)
    assert got == [True] and locks.is_lock_holder("k", "b")
    locks.release_lock("k", holder="b")


def test_keys_with_any_characters(locks):
    key = "flows/my flow:ünïcode/" + "x" * 300
    assert locks.acquire_lock(key, holder="a")
    assert locks.is_lock_holder(key, "a")
    locks.release_lock(key, holder="a")


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_a_lock_past_its_hold_timeout_is_taken_over(kind, tmp_path):
    clock = FakeClock()
    locks = (
        MemoryLockManager(clock=clock)
        if kind == "memory"
        else FileSystemLockManager(tmp_path / "locks", clock=clock)
    )
    assert locks.acquire_lock("k", holder="a", hold_timeout=10)
    assert not locks.acquire_lock("k", holder="b", acquire_timeout=0)
    clock.now += 11
    assert not locks.is_locked("k")
    assert locks.acquire_lock("k", holder="b", acquire_timeout=0)
    with pytest.raises(ValueError):
        locks.release_lock("k", holder="a")  # its lock expired: it must not release b's
    assert locks.is_lock_holder("k", "b")


def test_redis_lock_expires_after_hold_timeout(redis_lock_manager):
    locks = redis_lock_manager
    assert locks.acquire_lock("k", holder="a", hold_timeout=0.1)
    assert locks.acquire_lock("k", holder="b", acquire_timeout=2)
    with pytest.raises(ValueError):
        locks.release_lock("k", holder="a")
    locks.release_lock("k", holder="b")


def test_memory_lock_manager_is_one_per_process():
    assert MemoryLockManager() is MemoryLockManager()
    assert pickle.loads(pickle.dumps(MemoryLockManager())) is MemoryLockManager()


def test_file_locks_of_a_dead_process_are_taken_over(tmp_path):
    code = (
        "import sys\n"
        "from praefect.locking import FileSystemLockManager\n"
        "FileSystemLockManager(sys.argv[1]).acquire_lock('k', holder='dead')\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    locks = FileSystemLockManager(tmp_path)
    assert (tmp_path / "k.lock").exists()
    assert not locks.is_locked("k")
    assert locks.acquire_lock("k", holder="alive", acquire_timeout=0)


def test_file_lock_held_by_a_live_process_blocks_this_one(tmp_path):
    code = (
        "import sys, time\n"
        "from praefect.locking import FileSystemLockManager\n"
        "FileSystemLockManager(sys.argv[1]).acquire_lock('k', holder='other')\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        locks = FileSystemLockManager(tmp_path)
        assert locks.is_locked("k")
        assert not locks.acquire_lock("k", holder="me", acquire_timeout=0.1)
    finally:
        proc.communicate("\n", timeout=60)
    assert locks.acquire_lock("k", holder="me", acquire_timeout=0)  # the holder exited


def test_file_lock_manager_pickles(tmp_path):
    locks = FileSystemLockManager(tmp_path)
    assert pickle.loads(pickle.dumps(locks)) == locks


def test_redis_lock_manager_pickles_without_its_connection(redis_lock_manager):
    redis_lock_manager.is_locked("k")
    copy = pickle.loads(pickle.dumps(redis_lock_manager))
    try:
        assert copy == redis_lock_manager and not copy.is_locked("k")
    finally:
        copy.close()
