"""The public face of the results modules: sorted ``__all__`` of importable names, Prefect 3's
names present, and the docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = {
    "praefect.cache_policies": {
        "CachePolicy", "CompoundCachePolicy", "CacheKeyFnPolicy", "Inputs", "TaskSource",
        "FlowParameters", "RunId", "DEFAULT", "INPUTS", "TASK_SOURCE", "FLOW_PARAMETERS",
        "RUN_ID", "NO_CACHE", "NONE",
    },
    "praefect.results": {
        "ResultStore", "ResultRecord", "ResultRecordMetadata", "get_result_store",
        "get_default_result_storage", "resolve_result_storage", "resolve_serializer",
        "should_persist_result",
    },
    "praefect.serializers": {
        "Serializer", "PickleSerializer", "JSONSerializer", "CompressedSerializer",
        "CompressedPickleSerializer", "CompressedJSONSerializer",
    },
    "praefect.transactions": {
        "transaction", "atransaction", "Transaction", "AsyncTransaction", "BaseTransaction",
        "get_transaction", "CommitMode", "IsolationLevel", "TransactionState",
    },
    "praefect.filesystems": {"LocalFileSystem", "RemoteFileSystem", "NullFileSystem"},
    "praefect.locking": {
        "LockManager", "MemoryLockManager", "FileSystemLockManager", "RedisLockManager",
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MODULES))
def test_all_is_sorted_importable_and_has_prefect_names(name):
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
    assert MODULES[name] <= set(module.__all__)


@pytest.mark.parametrize(
    "name",
    [
        "praefect.cache_policies",
        "praefect.results",
        "praefect.serializers",
        "praefect.transactions",
        "praefect.locking",
        "praefect.locking.memory",
    ],
)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
