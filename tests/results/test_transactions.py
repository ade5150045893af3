from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import pytest

from praefect import exceptions
from praefect.locking import MemoryLockManager
from praefect.results import ResultRecord, ResultStore
from praefect.transactions import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    atransaction,
    get_transaction,
    transaction,
)


@pytest.fixture
def store(tmp_path):
    return ResultStore(result_storage=tmp_path / "results")


def recorder(events, name):
    def hook(txn):
        events.append((name, txn.key))

    hook.__name__ = name
    return hook


def test_commit_writes_the_staged_value_under_the_key(store):
    with transaction(key="k", store=store) as txn:
        assert txn.is_active() and not txn.is_committed()
        txn.stage({"rows": 3})
        assert txn.state is TransactionState.STAGED
        assert not store.exists("k")  # nothing is written before the commit
    assert txn.is_committed()
    assert store.read("k").result == {"rows": 3}


def test_staged_result_record_is_persisted_as_is(store):
    record = store.create_result_record([1, 2], key="rec")
    with transaction(key="rec", store=store) as txn:
        txn.stage(record)
    assert store.read("rec").result == [1, 2]


def test_keyed_transaction_is_committed_on_a_second_entry(store):
    runs = []
    for _ in range(2):
        with transaction(key="daily-load", store=store) as txn:
            if txn.is_committed():
                continue
            runs.append(1)
    assert runs == [1]
    with transaction(key="daily-load", store=store, overwrite=True) as txn:
        assert not txn.is_committed()


def test_key_without_store_uses_the_default_result_store(praefect_home):
    key = f"k-{uuid.uuid4().hex}"
    with transaction(key=key) as txn:
        pass
    assert txn.is_committed()
    assert (praefect_home / "storage" / key).exists()
    with transaction(key=key) as again:
        assert again.is_committed()


def test_write_on_commit_false_writes_nothing(store):
    with transaction(key="k", store=store, write_on_commit=False) as txn:
        txn.stage(1)
    assert txn.is_committed() and not store.exists("k")


def test_exception_rolls_back_runs_hooks_newest_first_and_reraises(store):
    events = []
    with pytest.raises(ValueError, match="boom"):
        with transaction(key="k", store=store) as txn:
            txn.stage(1, on_rollback_hooks=[recorder(events, "first")])
            txn.stage(2, on_rollback_hooks=[recorder(events, "second")])
            raise ValueError("boom")
    assert txn.is_rolled_back()
    assert events == [("second", "k"), ("first", "k")]
    assert not store.exists("k")


def test_commit_hooks_run_on_commit_only(store):
    events = []
    with transaction(store=store) as txn:
        txn.stage(
            1, on_commit_hooks=[recorder(events, "c")], on_rollback_hooks=[recorder(events, "r")]
        )
    assert events == [("c", None)]


def test_nested_children_commit_with_the_outermost(store):
    with transaction() as outer:
        with transaction(key="a", store=store) as a:
            a.stage("A")
        with transaction(key="b", store=store) as b:
            b.stage("B")
        assert a.get_parent() is outer and outer.children == [a, b]
        assert not store.exists("a") and not store.exists("b")  # LAZY: not yet
    assert store.read("a").result == "A" and store.read("b").result == "B"
    assert a.is_committed() and b.is_committed() and outer.is_committed()


def test_eager_child_commits_on_leaving_its_block(store):
    with transaction():
        with transaction(key="e", store=store, commit_mode=CommitMode.EAGER) as child:
            child.stage(1)
        assert store.exists("e")


def test_failure_rolls_back_the_whole_tree_newest_first(store):
    events = []
    with pytest.raises(RuntimeError):
        with transaction() as outer:
            outer.stage(None, on_rollback_hooks=[recorder(events, "outer")])
            for name in ("t1", "t2"):
                with transaction(key=name, store=store) as child:
                    child.stage(name, on_rollback_hooks=[recorder(events, name)])
            with transaction(key="t3", store=store):
                raise RuntimeError("t3 failed")
    assert events == [("outer", None), ("t2", "t2"), ("t1", "t1")]
    assert all(not store.exists(k) for k in ("t1", "t2", "t3"))
    assert outer.is_rolled_back()


def test_a_failing_rollback_hook_is_logged_and_the_others_run(store, caplog):
    events = []

    def broken(txn):
        raise OSError("disk gone")

    with caplog.at_level(logging.ERROR, logger="praefect.transactions"):
        with pytest.raises(KeyError):
            with transaction(store=store) as txn:
                txn.stage(
                    1, on_rollback_hooks=[recorder(events, "a"), broken, recorder(events, "c")]
                )
                raise KeyError("x")
    assert events == [("c", None), ("a", None)]
    assert "broken" in caplog.text


def test_commit_mode_off_rolls_back_unless_committed_by_hand(store):
    events = []
    with transaction(key="off", store=store, commit_mode="OFF") as txn:
        txn.stage(1, on_rollback_hooks=[recorder(events, "r")])
    assert txn.is_rolled_back() and events == [("r", "off")]
    with transaction(key="off", store=store, commit_mode="OFF") as txn:
        txn.stage(2)
        txn.commit()
    assert store.read("off").result == 2


def test_values_set_in_a_parent_are_visible_to_children_as_copies():
    with transaction() as outer:
        outer.set("config", {"batch": 10})
        with transaction() as inner:
            value = inner.get("config")
            value["batch"] = 99
            assert inner.get("missing", "default") == "default"
            with pytest.raises(ValueError, match="'missing'"):
                inner.get("missing")
        assert outer.get("config") == {"batch": 10}


def test_get_transaction_is_the_innermost_open_one():
    assert get_transaction() is None
    with transaction() as outer:
        assert get_transaction() is outer
        with transaction() as inner:
            assert get_transaction() is inner
        assert get_transaction() is outer
    assert get_transaction() is None


def test_children_inherit_commit_mode_and_isolation_level():
    with transaction(commit_mode="EAGER", isolation_level="SERIALIZABLE"):
        with transaction() as inner:
            assert inner.commit_mode is CommitMode.EAGER
            assert inner.isolation_level is IsolationLevel.SERIALIZABLE


def test_a_transaction_is_entered_once():
    txn = Transaction()
    with txn:
        with pytest.raises(RuntimeError, match="entered once"):
            txn.__enter__()


def test_serializable_holds_the_key_lock_while_open(tmp_path):
    store = ResultStore(result_storage=tmp_path / "r", lock_manager=MemoryLockManager())
    with transaction(key="s", store=store, isolation_level="SERIALIZABLE") as txn:
        assert store.is_locked("s")
        txn.stage(1)
    assert not store.is_locked("s")
    with transaction(key="s", store=store, isolation_level="SERIALIZABLE") as txn:
        assert txn.is_committed() and txn.read().result == 1
    assert not store.is_locked("s")


def test_serializable_threads_compute_once(tmp_path):
    store = ResultStore(result_storage=tmp_path / "r")
    computed, results = [], []

    def worker():
        with transaction(key="shared", store=store, isolation_level="SERIALIZABLE") as txn:
            if txn.is_committed():
                results.append(txn.read().result)
                return
            computed.append(1)
            txn.stage("value")
            results.append("value")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert computed == [1] and results == ["value"] * 4


def test_serializable_rollback_releases_the_lock(store):
    with pytest.raises(ValueError):
        with transaction(key="x", store=store, isolation_level="SERIALIZABLE"):
            raise ValueError
    assert not store.is_locked("x")


def test_unsupported_isolation_level_is_a_configuration_error(store):
    class NoLocks(ResultStore):
        def supports_isolation_level(self, level):
            return level == "READ_COMMITTED"

    plain = NoLocks(result_storage=store.storage)
    with pytest.raises(exceptions.ConfigurationError, match="SERIALIZABLE"):
        with transaction(key="k", store=plain, isolation_level="SERIALIZABLE"):
            pass


def test_read_returns_the_committed_record(store):
    with transaction(key="r", store=store) as txn:
        txn.stage(5)
    with transaction(key="r", store=store) as txn:
        record = txn.read()
    assert isinstance(record, ResultRecord) and record.result == 5


async def test_async_transaction(store):
    events = []
    with pytest.raises(ValueError):
        async with atransaction(key="async", store=store) as txn:
            txn.stage(1, on_rollback_hooks=[recorder(events, "r")])
            await asyncio.sleep(0)
            raise ValueError
    assert events == [("r", "async")]
    async with atransaction(key="async", store=store) as txn:
        txn.stage(2)
    assert store.read("async").result == 2


# -- processes racing on one key ---------------------------------------------------------------
def test_two_processes_on_a_serializable_key_compute_once_with_file_locks(race_processes):
    outputs, computed = race_processes("file", "SERIALIZABLE")
    assert len(computed) == 1
    assert outputs == [f"computed by {computed[0]}"] * 2


def test_two_processes_on_a_serializable_key_compute_once_with_redis(
    race_processes, redis_lock_manager
):
    m = redis_lock_manager
    outputs, computed = race_processes("redis", "SERIALIZABLE", [m.host, str(m.port), m.key_prefix])
    assert len(computed) == 1
    assert outputs == [f"computed by {computed[0]}"] * 2


def test_read_committed_processes_may_both_compute(race_processes):
    # The control for the two tests above: without the lock both processes do the work.
    outputs, computed = race_processes("file", "READ_COMMITTED")
    assert sorted(computed) == ["a", "b"]
