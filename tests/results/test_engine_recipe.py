"""The sequence the task engine runs for a cached, persisted task, written out with the library
alone: build the task's store, compute the key, open the keyed transaction, read a hit or stage
a new record, commit. The engine follows the same calls."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from types import SimpleNamespace

from praefect.cache_policies import DEFAULT, INPUTS
from praefect.results import ResultRecord, ResultStore, get_result_store, should_persist_result
from praefect.transactions import transaction


def make_task(fn, **options):
    defaults = {
        "cache_policy": None,
        "cache_key_fn": None,
        "cache_expiration": None,
        "persist_result": None,
        "result_storage": None,
        "result_serializer": None,
        "result_storage_key": None,
        "cache_result_in_memory": True,
        "refresh_cache": None,
    }
    defaults.update(options)
    return SimpleNamespace(fn=fn, name=fn.__name__, task_key=f"{fn.__name__}-1", **defaults)


def run_task(task, parameters, flow_run_id, calls):
    """What the engine does for one call; returns (value, cached, state data reference)."""
    persist = should_persist_result(
        task.persist_result,
        cache_policy=task.cache_policy,
        cache_key_fn=task.cache_key_fn,
        result_storage_key=task.result_storage_key,
        result_storage=task.result_storage,
        result_serializer=task.result_serializer,
    )
    store = get_result_store().update_for_task(task)
    ctx = SimpleNamespace(
        task=task,
        task_run=SimpleNamespace(id=uuid.uuid4(), flow_run_id=flow_run_id),
        parameters=parameters,
    )
    policy = task.cache_policy or DEFAULT
    key = policy.compute_key(ctx, parameters, {}) if persist else None
    with transaction(
        key=key,
        store=store,
        overwrite=bool(task.refresh_cache),
        write_on_commit=persist,
        isolation_level=getattr(policy, "isolation_level", None),
    ) as txn:
        if txn.is_committed():
            record = txn.read()
            return record.result, True, record.to_reference()
        calls.append(parameters)
        value = task.fn(**parameters)
        record = store.create_result_record(value, key=key, expiration=task.cache_expiration)
        txn.stage(record)
    return value, False, record.to_reference() if persist else None


def test_cached_task_runs_once_across_flow_runs_and_expires():
    def double(x):
        return x * 2

    task = make_task(double, cache_policy=INPUTS, cache_expiration=dt.timedelta(seconds=0.3))
    calls = []
    first = run_task(task, {"x": 2}, uuid.uuid4(), calls)
    second = run_task(task, {"x": 2}, uuid.uuid4(), calls)
    third = run_task(task, {"x": 3}, uuid.uuid4(), calls)
    assert [first[:2], second[:2], third[:2]] == [(4, False), (4, True), (6, False)]
    assert json.loads(json.dumps(second[2]))["__praefect_result_ref__"]
    assert ResultRecord.from_reference(second[2]).load_result() == 4
    time.sleep(0.35)
    assert run_task(task, {"x": 2}, uuid.uuid4(), calls)[:2] == (4, False)
    assert len(calls) == 3


def test_default_policy_caches_within_one_flow_run_only():
    def inc(x):
        return x + 1

    task = make_task(inc, persist_result=True)
    calls = []
    run_id = uuid.uuid4()
    assert run_task(task, {"x": 1}, run_id, calls)[1] is False
    assert run_task(task, {"x": 1}, run_id, calls)[1] is True  # a retried flow run resumes
    assert run_task(task, {"x": 1}, uuid.uuid4(), calls)[1] is False


def test_refresh_cache_recomputes_and_overwrites():
    def now(x):
        return time.monotonic_ns()

    task = make_task(now, cache_policy=INPUTS)
    calls = []
    a = run_task(task, {"x": 1}, None, calls)[0]
    b = run_task(make_task(now, cache_policy=INPUTS, refresh_cache=True), {"x": 1}, None, calls)[0]
    c = run_task(task, {"x": 1}, None, calls)[0]
    assert a != b and c == b


def test_unpersisted_task_is_never_cached():
    def f(x):
        return x

    task = make_task(f)
    calls = []
    run_task(task, {"x": 1}, None, calls)
    run_task(task, {"x": 1}, None, calls)
    assert len(calls) == 2


def test_result_storage_key_with_json_is_a_file_named_by_the_template(tmp_path):
    from praefect import results

    def square(x):
        return {"square": x * x}

    out = tmp_path / "out"
    task = make_task(
        square,
        result_storage=str(out),
        result_storage_key="square-{parameters[x]}.json",
        result_serializer="json",
    )
    store = ResultStore().update_for_task(task)
    key = results._format_user_supplied_storage_key(task.result_storage_key, {"x": 4})
    with transaction(key=key, store=store) as txn:
        txn.stage(store.create_result_record(square(4), key=key))
    assert [p.name for p in out.iterdir()] == ["square-4.json"]
    assert json.loads((out / "square-4.json").read_text())["result"] == {"square": 16}
