from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from praefect import cache_policies as cp
from praefect.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    NONE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CachePolicy,
    CompoundCachePolicy,
    Inputs,
)

FLOW_RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
TASK_RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")


def add(x, y):
    return x + y


def add_differently(x, y):
    return y + x


def ctx_for(fn=add, flow_run_id=FLOW_RUN_ID, task_run_id=TASK_RUN_ID):
    task = SimpleNamespace(fn=fn, task_key=f"{fn.__qualname__}-abc", name=fn.__name__)
    task_run = SimpleNamespace(id=task_run_id, flow_run_id=flow_run_id)
    return SimpleNamespace(task=task, task_run=task_run)


@dataclass
class Config:
    name: str
    tags: frozenset


INPUTS_SAMPLE = {
    "x": [1, {"b": 2, "a": 1}],
    "when": dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    "ids": {"c", "a", "b"},
    "cfg": Config("n", frozenset({"p", "q"})),
    "raw": b"\x00\xff",
}

SUBPROCESS_KEY = """
import datetime as dt, sys
from dataclasses import dataclass
from praefect.cache_policies import INPUTS

@dataclass
class Config:
    name: str
    tags: frozenset

inputs = {
    "x": [1, {"a": 1, "b": 2}],
    "when": dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    "ids": {"b", "c", "a"},
    "cfg": Config("n", frozenset({"q", "p"})),
    "raw": b"\\x00\\xff",
}
print(INPUTS.compute_key(None, inputs, {}))
"""


def test_inputs_key_is_the_same_in_another_process():
    here = INPUTS.compute_key(None, INPUTS_SAMPLE, {})
    for seed in ("1", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", SUBPROCESS_KEY],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        )
        assert out.stdout.strip() == here


def test_inputs_key_changes_with_any_input():
    base = INPUTS.compute_key(None, {"x": 1, "y": "a"}, {})
    assert INPUTS.compute_key(None, {"x": 2, "y": "a"}, {}) != base
    assert INPUTS.compute_key(None, {"x": 1, "y": "b"}, {}) != base
    assert INPUTS.compute_key(None, {"x": 1, "z": "a"}, {}) != base
    assert INPUTS.compute_key(None, {"x": True, "y": "a"}, {}) != base
    assert INPUTS.compute_key(None, {"y": "a", "x": 1}, {}) == base


def test_inputs_without_values_give_no_key():
    assert INPUTS.compute_key(None, {}, {}) is None


def test_excluded_input_does_not_change_the_key():
    policy = INPUTS - "debug"
    assert isinstance(policy, Inputs)
    assert policy.compute_key(None, {"x": 1, "debug": True}, {}) == policy.compute_key(
        None, {"x": 1, "debug": False}, {}
    )
    assert policy.compute_key(None, {"x": 1}, {}) != policy.compute_key(None, {"x": 2}, {})
    assert (policy - "x").exclude == ["debug", "x"]


def test_excluding_from_a_compound_policy_excludes_from_its_inputs():
    ctx = ctx_for()
    policy = DEFAULT - "debug"
    assert policy.compute_key(ctx, {"x": 1, "debug": 1}, {}) == policy.compute_key(
        ctx, {"x": 1, "debug": 2}, {}
    )
    assert DEFAULT.compute_key(ctx, {"x": 1, "debug": 1}, {}) != DEFAULT.compute_key(
        ctx, {"x": 1, "debug": 2}, {}
    )


def test_task_source_changes_with_the_code():
    assert TASK_SOURCE.compute_key(ctx_for(add), {}, {}) == TASK_SOURCE.compute_key(
        ctx_for(add), {}, {}
    )
    assert TASK_SOURCE.compute_key(ctx_for(add), {}, {}) != TASK_SOURCE.compute_key(
        ctx_for(add_differently), {}, {}
    )


def test_task_source_falls_back_to_bytecode_without_a_source_file():
    namespace: dict = {}
    exec("def made(x):\n    return x * 2\n", namespace)
    exec("def other(x):\n    return x * 3\n", namespace)
    key = TASK_SOURCE.compute_key(ctx_for(namespace["made"]), {}, {})
    assert key is not None
    assert key != TASK_SOURCE.compute_key(ctx_for(namespace["other"]), {}, {})


def test_run_id_uses_the_flow_run_else_the_task_run():
    assert RUN_ID.compute_key(ctx_for(), {}, {}) == str(FLOW_RUN_ID)
    assert RUN_ID.compute_key(ctx_for(flow_run_id=None), {}, {}) == str(TASK_RUN_ID)


def test_flow_parameters_key():
    assert FLOW_PARAMETERS.compute_key(None, {"x": 1}, {}) is None
    assert FLOW_PARAMETERS.compute_key(None, {}, {"p": 1}) != FLOW_PARAMETERS.compute_key(
        None, {}, {"p": 2}
    )


def test_default_is_inputs_source_and_run_id():
    ctx = ctx_for()
    assert isinstance(DEFAULT, CompoundCachePolicy)
    assert DEFAULT.policies == [INPUTS, TASK_SOURCE, RUN_ID]
    key = DEFAULT.compute_key(ctx, {"x": 1}, {})
    other_run = ctx_for(flow_run_id=uuid.uuid4())
    assert DEFAULT.compute_key(other_run, {"x": 1}, {}) != key
    assert DEFAULT.compute_key(ctx_for(add_differently), {"x": 1}, {}) != key
    assert DEFAULT.compute_key(ctx, {"x": 2}, {}) != key


def test_composition_is_a_cache_policy_and_order_matters_only_in_the_hash():
    composed = TASK_SOURCE + INPUTS
    assert isinstance(composed, CachePolicy)
    ctx = ctx_for()
    assert composed.compute_key(ctx, {"x": 1}, {}) != INPUTS.compute_key(ctx, {"x": 1}, {})


def test_no_cache_disables_and_adds_nothing():
    assert NO_CACHE is NONE
    assert NO_CACHE.compute_key(ctx_for(), {"x": 1}, {}) is None
    assert INPUTS + NO_CACHE is INPUTS
    assert NO_CACHE + INPUTS is INPUTS


def test_a_compound_policy_of_parts_without_keys_gives_none():
    assert (INPUTS + FLOW_PARAMETERS).compute_key(None, {}, {}) is None


def test_cache_key_fn_policy():
    policy = CachePolicy.from_cache_key_fn(lambda ctx, params: f"first-{params['word'][0]}")
    assert isinstance(policy, CacheKeyFnPolicy)
    assert policy.compute_key(None, {"word": "apple"}, {}) == "first-a"


def test_failing_cache_key_fn_caches_nothing_and_warns(caplog):
    def broken(ctx, params):
        raise KeyError("missing")

    with caplog.at_level(logging.WARNING, logger="praefect.cache_policies"):
        assert CacheKeyFnPolicy(cache_key_fn=broken).compute_key(None, {}, {}) is None
    assert "broken" in caplog.text and "not cached" in caplog.text


def test_custom_policy():
    class ByUser(CachePolicy):
        def compute_key(self, task_ctx, inputs, flow_parameters, **kwargs):
            return f"user-{inputs['user']}"

    composed = ByUser() + RUN_ID
    assert composed.compute_key(ctx_for(), {"user": 1}, {}) != composed.compute_key(
        ctx_for(), {"user": 2}, {}
    )


def test_unhashable_input_warns_naming_the_argument_and_gives_no_key(caplog):
    lock = threading.Lock()
    with caplog.at_level(logging.WARNING, logger="praefect.cache_policies"):
        assert INPUTS.compute_key(ctx_for(), {"x": 1, "conn": lock}, {}) is None
    assert "'conn'" in caplog.text and "lock" in caplog.text and "'add'" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="praefect.cache_policies"):
        assert DEFAULT.compute_key(ctx_for(), {"x": 1, "conn": lock}, {}) is None
    assert len(caplog.records) == 1 and "'conn'" in caplog.text
    assert (DEFAULT - "conn").compute_key(ctx_for(), {"x": 1, "conn": lock}, {}) is not None


def test_generic_objects_hash_by_value_through_cloudpickle():
    class Thing:
        def __init__(self, v):
            self.v = v

    assert INPUTS.compute_key(None, {"t": Thing(1)}, {}) == INPUTS.compute_key(
        None, {"t": Thing(1)}, {}
    )
    assert INPUTS.compute_key(None, {"t": Thing(1)}, {}) != INPUTS.compute_key(
        None, {"t": Thing(2)}, {}
    )


def test_configure_returns_a_configured_copy(tmp_path):
    configured = INPUTS.configure(key_storage=str(tmp_path), isolation_level="SERIALIZABLE")
    assert configured.isolation_level == "SERIALIZABLE"
    assert configured.key_storage == str(tmp_path)
    assert INPUTS.isolation_level is None and INPUTS.key_storage is None
    assert (configured - "x").isolation_level == "SERIALIZABLE"
    assert (configured + RUN_ID).isolation_level == "SERIALIZABLE"


def test_adding_policies_with_different_settings_is_refused():
    with pytest.raises(ValueError, match="isolation level"):
        INPUTS.configure(isolation_level="SERIALIZABLE") + RUN_ID.configure(
            isolation_level="READ_COMMITTED"
        )


def test_subtracting_a_non_string_is_refused():
    with pytest.raises(TypeError, match="argument names"):
        INPUTS - 1  # noqa: B018


def test_policies_survive_pickling_for_process_pools():
    import cloudpickle

    restored = cloudpickle.loads(cloudpickle.dumps(DEFAULT - "debug"))
    ctx = ctx_for()
    assert restored.compute_key(ctx, {"x": 1}, {}) == (DEFAULT - "debug").compute_key(
        ctx, {"x": 1}, {}
    )


def test_hash_objects_names_the_value_it_cannot_hash():
    assert cp.hash_objects({"a": 1}) == cp.hash_objects({"a": 1})
    with pytest.raises(TypeError, match="conn"):
        cp.hash_objects(conn=threading.Lock())
