from __future__ import annotations

import datetime as dt
import gc
import json
import subprocess
import sys
import uuid
import weakref
from pathlib import Path

import pytest

from praefect import exceptions, settings
from praefect.cache_policies import INPUTS, NO_CACHE
from praefect.filesystems import LocalFileSystem, NullFileSystem, RemoteFileSystem
from praefect.results import (
    ResultRecord,
    ResultStore,
    get_default_result_storage,
    get_result_store,
    resolve_result_storage,
    should_persist_result,
)
from praefect.serializers import JSONSerializer


def memory_url() -> str:
    return f"memory://praefect-tests/{uuid.uuid4().hex}"


# -- storage ---------------------------------------------------------------------------------
def test_local_filesystem_reads_writes_and_deletes(tmp_path):
    fs = LocalFileSystem(basepath=tmp_path)
    fs.write_path("nested/dir/x.bin", b"\x00\x01")
    assert fs.exists("nested/dir/x.bin")
    assert fs.read_path("nested/dir/x.bin") == b"\x00\x01"
    assert sorted(p.name for p in (tmp_path / "nested/dir").iterdir()) == ["x.bin"]
    fs.delete("nested/dir/x.bin")
    assert not fs.exists("nested/dir/x.bin")
    fs.delete("nested/dir/x.bin")  # deleting twice is fine


def test_local_filesystem_refuses_paths_outside_its_base(tmp_path):
    fs = LocalFileSystem(basepath=tmp_path / "base")
    with pytest.raises(ValueError, match="outside of the storage's base path"):
        fs.write_path("../escape.txt", b"x")


def test_remote_filesystem_on_memory_url():
    fs = RemoteFileSystem(basepath=memory_url())
    fs.write_path("a/b", b"payload")
    assert fs.exists("a/b") and fs.read_path("a/b") == b"payload"
    fs.delete("a/b")
    assert not fs.exists("a/b")


def test_remote_filesystem_needs_a_url():
    with pytest.raises(ValueError, match="LocalFileSystem"):
        RemoteFileSystem(basepath="/tmp/not-a-url")


def test_null_filesystem_keeps_nothing():
    fs = NullFileSystem()
    fs.write_path("k", b"v")
    assert not fs.exists("k")
    with pytest.raises(FileNotFoundError):
        fs.read_path("k")


def test_resolve_result_storage_accepts_paths_urls_and_objects(tmp_path, praefect_home):
    assert resolve_result_storage(None) == LocalFileSystem(praefect_home / "storage")
    assert resolve_result_storage(str(tmp_path)) == LocalFileSystem(tmp_path)
    assert resolve_result_storage(tmp_path) == LocalFileSystem(tmp_path)
    assert resolve_result_storage(f"file://{tmp_path}") == LocalFileSystem(tmp_path)
    url = memory_url()
    assert resolve_result_storage(url) == RemoteFileSystem(url)
    fs = NullFileSystem()
    assert resolve_result_storage(fs) is fs


def test_resolve_result_storage_names_an_unsaved_block():
    # A storage block slug is loaded from the database (tests/blocks); an unknown one is an
    # error naming the document and its block type.
    with pytest.raises(ValueError, match="'my-results'.*'local-file-system'"):
        resolve_result_storage("local-file-system/my-results")


def test_resolve_result_storage_refuses_other_objects():
    with pytest.raises(TypeError, match="int"):
        resolve_result_storage(42)


def test_default_storage_follows_the_settings(tmp_path, praefect_home):
    assert get_default_result_storage() == LocalFileSystem(praefect_home / "storage")
    with settings.temporary_settings({"local_storage_path": tmp_path / "elsewhere"}):
        assert get_default_result_storage() == LocalFileSystem(tmp_path / "elsewhere")


# -- records ---------------------------------------------------------------------------------
def test_json_result_is_a_readable_json_document_on_disk(tmp_path):
    out = tmp_path / "out"
    store = ResultStore(result_storage=out, serializer="json")
    store.write({"square": 16}, key="square-4.json")
    assert sorted(p.name for p in out.iterdir()) == ["square-4.json"]
    document = json.loads((out / "square-4.json").read_text())
    assert document["result"] == {"square": 16}
    assert document["metadata"]["storage_key"] == "square-4.json"
    assert document["metadata"]["serializer"] == {"type": "json"}


def test_pickled_result_round_trips_any_object(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    value = {"set": {1, 2}, "fn": len, "when": dt.date(2024, 5, 1)}
    record = store.write(value, key="obj")
    assert json.loads((tmp_path / "obj").read_text())["metadata"]["serializer"]["type"] == "pickle"
    assert store.read("obj").result == value
    assert record.result == value


@pytest.mark.parametrize("serializer", ["compressed/pickle", "compressed/json", "json", "pickle"])
def test_records_round_trip_through_memory_storage(serializer):
    store = ResultStore(result_storage=memory_url(), serializer=serializer)
    store.write([1, "two", None], key="k")
    assert store.exists("k")
    assert store.read("k").result == [1, "two", None]


def test_reading_a_missing_key_raises_missing_result(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    assert not store.exists("nope")
    with pytest.raises(exceptions.MissingResult, match="'nope'"):
        store.read("nope")


def test_expired_record_does_not_exist_but_can_still_be_read(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    store.write(1, key="old", expiration=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    store.write(2, key="fresh", expiration=dt.timedelta(hours=1))
    assert not store.exists("old")
    assert store.exists("fresh")
    assert store.read("old").result == 1


def test_a_file_that_is_not_a_record_is_never_a_hit(tmp_path):
    (tmp_path / "junk").write_text("not json")
    assert not ResultStore(result_storage=tmp_path).exists("junk")


def test_reference_is_json_safe_and_loads_the_value_lazily(tmp_path):
    store = ResultStore(result_storage=tmp_path, serializer="json")
    record = store.write({"secret": 42}, key="k1")
    reference = json.loads(json.dumps(record.to_reference()))
    assert reference["__praefect_result_ref__"] is True
    assert "secret" not in json.dumps(reference)  # the database never gets the payload
    loaded = ResultRecord.from_reference(reference)
    assert not loaded.has_value()
    assert loaded.load_result() == {"secret": 42}
    assert not loaded.has_value()  # nothing kept: a flow of many references stays small
    assert ResultRecord.is_reference(reference)


def test_reference_loads_in_another_process(tmp_path):
    store = ResultStore(result_storage=tmp_path / "results")
    record = store.write({"rows": [1, 2, 3]}, key="rows")
    code = (
        "import json, sys\n"
        "from praefect.results import ResultRecord\n"
        "print(json.dumps(ResultRecord.from_reference(json.loads(sys.argv[1])).load_result()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(record.to_reference())],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == {"rows": [1, 2, 3]}


def test_reference_to_a_deleted_record_raises_missing_result(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    reference = store.write(1, key="gone").to_reference()
    (tmp_path / "gone").unlink()
    with pytest.raises(exceptions.MissingResult, match="'gone'"):
        ResultRecord.from_reference(reference).load_result()


class Payload:
    def __init__(self, size: int) -> None:
        self.data = bytearray(size)


def test_store_without_in_memory_cache_keeps_no_value(tmp_path):
    store = ResultStore(result_storage=tmp_path, cache_result_in_memory=False)
    payload = Payload(1000)
    alive = weakref.ref(payload)
    record = store.write(payload, key="big")
    del payload
    gc.collect()
    assert alive() is None, "the record kept its value alive"
    assert not record.has_value()
    assert len(record.result.data) == 1000  # loaded back from storage on demand
    assert not store.read("big").has_value()


def test_store_with_in_memory_cache_keeps_the_value(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    payload = Payload(10)
    assert store.write(payload, key="k").result is payload


def test_default_keys_are_unique(tmp_path):
    store = ResultStore(result_storage=tmp_path)
    keys = {store.write(i).metadata.storage_key for i in range(5)}
    assert len(keys) == 5


def test_storage_key_fn_names_records(tmp_path):
    store = ResultStore(result_storage=tmp_path, storage_key_fn=lambda: "fixed-name")
    store.write(1)
    assert (tmp_path / "fixed-name").exists()


def test_a_locked_key_refuses_writes_from_other_holders(tmp_path):
    store = ResultStore(result_storage=tmp_path / "r")
    assert store.acquire_lock("k", holder="owner")
    with pytest.raises(RuntimeError, match="locked by another holder"):
        store.write(1, key="k", holder="intruder")
    store.write(1, key="k", holder="owner")
    store.release_lock("k", holder="owner")
    assert not store.is_locked("k")


def test_default_lock_manager_lives_beside_local_storage(tmp_path):
    store = ResultStore(result_storage=tmp_path / "r")
    assert store.acquire_lock("k", holder="me", timeout=1)
    assert (tmp_path / "r" / ".locks" / "k.lock").exists()
    assert store.is_lock_holder("k", holder="me")
    store.release_lock("k", holder="me")
    assert store.supports_isolation_level("SERIALIZABLE")


# -- a task's store --------------------------------------------------------------------------
class FakeTask:
    def __init__(self, **options: object) -> None:
        self.result_storage = None
        self.result_serializer = None
        self.result_storage_key = None
        self.cache_result_in_memory = True
        self.cache_policy = None
        self.__dict__.update(options)


def test_update_for_task_applies_its_options(tmp_path):
    base = ResultStore(result_storage=tmp_path / "flow")
    task = FakeTask(
        result_storage=str(tmp_path / "task"),
        result_serializer="json",
        result_storage_key="sq-{parameters[x]}.json",
        cache_result_in_memory=False,
    )
    from praefect import results

    store = base.update_for_task(task)
    assert store.storage == LocalFileSystem(tmp_path / "task")
    assert store.serializer == JSONSerializer()
    assert store.cache_result_in_memory is False
    assert results._format_user_supplied_storage_key(task.result_storage_key, {"x": 4}) == (
        "sq-4.json"
    )
    assert base.update_for_task(FakeTask()).storage == LocalFileSystem(tmp_path / "flow")


def test_update_for_task_uses_the_policy_key_storage_and_lock_manager(tmp_path):
    from praefect.locking import MemoryLockManager

    policy = INPUTS.configure(key_storage=tmp_path / "keys", lock_manager=MemoryLockManager())
    store = ResultStore().update_for_task(FakeTask(cache_policy=policy))
    assert store.storage == LocalFileSystem(tmp_path / "keys")
    assert store.lock_manager is MemoryLockManager()


def test_get_result_store_outside_a_run_uses_default_storage(praefect_home):
    assert get_result_store().storage == LocalFileSystem(praefect_home / "storage")


# -- whether to persist ----------------------------------------------------------------------
def test_persistence_is_off_by_default():
    assert should_persist_result() is False


@pytest.mark.parametrize(
    "option",
    [
        {"cache_policy": INPUTS},
        {"cache_key_fn": lambda ctx, params: "k"},
        {"result_storage_key": "x.json"},
        {"result_storage": "/tmp/results"},
        {"result_serializer": "json"},
    ],
)
def test_result_options_turn_persistence_on(option):
    assert should_persist_result(**option) is True


def test_explicit_persist_result_wins():
    assert should_persist_result(False, result_serializer="json") is False
    assert should_persist_result(True) is True


def test_no_cache_policy_does_not_turn_persistence_on():
    assert should_persist_result(cache_policy=NO_CACHE) is False


def test_parent_decision_is_inherited():
    assert should_persist_result(parent=True) is True
    assert should_persist_result(parent=False) is False


def test_setting_turns_persistence_on_by_default():
    with settings.temporary_settings({"results_persist_by_default": True}):
        assert should_persist_result() is True
        assert should_persist_result(False) is False


def test_default_storage_path_env_var_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("PRAEFECT_LOCAL_STORAGE_PATH", str(tmp_path / "env-storage"))
    code = "from praefect.results import get_default_result_storage as g; print(g().basepath)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert Path(out.stdout.strip()) == tmp_path / "env-storage"


def test_a_relative_path_with_a_dash_is_a_path_not_a_block(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_result_storage("my-output/results") == LocalFileSystem(
        tmp_path / "my-output/results"
    )
