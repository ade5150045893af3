"""Cache policies: how a task run's cache key is computed (Prefect 3's
``prefect.cache_policies``).

A policy turns what the engine knows about a run into a key; runs with the same key share one
persisted result. ``None`` means "do not cache this run". Policies compose with ``+`` and inputs
are excluded with ``-``::

    >>> from praefect.cache_policies import INPUTS, TASK_SOURCE, DEFAULT
    >>> policy = INPUTS - "debug" + TASK_SOURCE
    >>> key = INPUTS.compute_key(None, {"x": 1}, {})
    >>> key == INPUTS.compute_key(None, {"x": 1}, {}), len(key)
    (True, 64)
    >>> (INPUTS - "debug").compute_key(None, {"x": 1, "debug": True}, {}) == key
    True

Keys are sha256 digests of a canonical JSON form of the values (cloudpickle bytes for other
objects), so they are the same in every process. An input that cannot be hashed makes the policy
return None and log a warning naming the argument (logger ``praefect.cache_policies``): the run is
then not cached, never wrongly served another run's result.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import hashlib
import inspect
import json
import logging
import uuid
import weakref
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from praefect._filesystems import WritableFileSystem
    from praefect.context import TaskRunContext
    from praefect.locking.protocol import LockManager
    from praefect.transactions import IsolationLevel

__all__ = [
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "DEFAULT",
    "FLOW_PARAMETERS",
    "FlowParameters",
    "INPUTS",
    "Inputs",
    "NONE",
    "NO_CACHE",
    "NoCache",
    "RUN_ID",
    "RunId",
    "TASK_SOURCE",
    "TaskSource",
    "hash_objects",
]

logger = logging.getLogger("praefect.cache_policies")


# -- hashing -----------------------------------------------------------------------------------
class UnhashableInput(TypeError):
    """A value could not be hashed (internal: policies turn it into a warning and None)."""

    def __init__(self, name: str, value: object, cause: BaseException) -> None:
        self.name = name
        self.cause = cause
        self.type_name = type(value).__name__
        super().__init__(f"{name} ({self.type_name}): {cause}")


def _canonical(value: Any) -> Any:
    """``json.dumps`` ``default=`` hook: a tagged, deterministic form for common non-JSON types."""
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return {"__dt__": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"__td__": value.total_seconds()}
    if isinstance(value, uuid.UUID | decimal.Decimal | PurePath):
        return {f"__{type(value).__name__}__": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": bytes(value).hex()}
    if isinstance(value, set | frozenset):
        items = [json.dumps(v, sort_keys=True, default=_canonical) for v in value]
        return {"__set__": sorted(items)}
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{type(value).__qualname__}.{value.name}"}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return {"__model__": type(value).__qualname__, "data": dump(mode="json")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__qualname__, "data": dataclasses.asdict(value)}
    raise TypeError(f"not canonically JSON-serializable: {type(value).__name__}")


def _hash_one(value: object) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=_canonical, separators=(",", ":"))
        return hashlib.sha256(b"j" + text.encode()).hexdigest()
    except (TypeError, ValueError, RecursionError):
        pass
    import cloudpickle

    return hashlib.sha256(b"p" + cloudpickle.dumps(value)).hexdigest()


def hash_objects(*args: Any, **kwargs: Any) -> str:
    """A sha256 hex digest of the values, the same in every process.

    Raises ``TypeError`` naming the first value (by position or keyword) that cannot be hashed.

    >>> hash_objects(1, "a") == hash_objects(1, "a") != hash_objects("a", 1)
    True
    """
    parts = []
    for name, value in [*((f"#{i}", v) for i, v in enumerate(args)), *kwargs.items()]:
        try:
            parts.append(f"{name}={_hash_one(value)}")
        except Exception as exc:
            raise UnhashableInput(name, value, exc) from exc
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _hash_mapping(values: dict[str, Any]) -> str:
    return hash_objects(**{str(k): v for k, v in sorted(values.items(), key=lambda kv: str(kv[0]))})


# -- policies ----------------------------------------------------------------------------------
@dataclasses.dataclass
class CachePolicy:
    """Base of all cache policies. A custom policy overrides ``compute_key``.

    >>> class ByUser(CachePolicy):
    ...     def compute_key(self, task_ctx, inputs, flow_parameters, **kwargs):
    ...         return f"user-{inputs['user_id']}"
    >>> ByUser().compute_key(None, {"user_id": 7}, {})
    'user-7'
    """

    key_storage: WritableFileSystem | str | PurePath | None = None
    """Where this policy's cache records go (a path, an fsspec URL or a storage object); None
    keeps the result storage."""
    isolation_level: IsolationLevel | str | None = None
    """``"READ_COMMITTED"`` or ``"SERIALIZABLE"`` (or the ``IsolationLevel`` enum); None: the
    enclosing transaction's, else READ_COMMITTED."""
    lock_manager: LockManager | None = None
    """The lock manager for SERIALIZABLE runs; None: the result store's."""

    is_no_cache = False

    @classmethod
    def from_cache_key_fn(cls, cache_key_fn: Callable[..., str | None]) -> CacheKeyFnPolicy:
        """A policy calling ``cache_key_fn(task_run_context, parameters)``."""
        return CacheKeyFnPolicy(cache_key_fn=cache_key_fn)

    def configure(
        self,
        key_storage: WritableFileSystem | str | PurePath | None = None,
        lock_manager: LockManager | None = None,
        isolation_level: IsolationLevel | str | None = None,
    ) -> CachePolicy:
        """A copy with these settings (unset arguments keep the current ones).

        >>> INPUTS.configure(isolation_level="SERIALIZABLE").isolation_level
        'SERIALIZABLE'
        """
        return dataclasses.replace(
            self,
            key_storage=self.key_storage if key_storage is None else key_storage,
            lock_manager=self.lock_manager if lock_manager is None else lock_manager,
            isolation_level=self.isolation_level if isolation_level is None else isolation_level,
        )

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        """The cache key of a run, or None to not cache it.

        ``task_ctx`` has ``.task`` (with ``.fn`` and ``.task_key``) and ``.task_run`` (with
        ``.id`` and ``.flow_run_id``); ``inputs`` are the bound parameters of the call;
        ``flow_parameters`` the parameters of the enclosing flow run.
        """
        raise NotImplementedError

    def _key_or_raise(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        """Like ``compute_key`` but raising ``UnhashableInput`` instead of warning, so a compound
        policy warns once and returns None as a whole."""
        return self.compute_key(task_ctx, inputs, flow_parameters, **kwargs)

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        if other.is_no_cache:
            return self
        if self.is_no_cache:
            return other
        merged = {}
        for name in ("key_storage", "isolation_level", "lock_manager"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not None and theirs is not None and mine != theirs:
                raise ValueError(
                    f"Cannot add cache policies with different {name.replace('_', ' ')}s "
                    f"({mine!r} and {theirs!r}); configure only one of them."
                )
            merged[name] = mine if mine is not None else theirs
        policies = [*_flatten(self), *_flatten(other)]
        return CompoundCachePolicy(policies=policies, **merged)

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError(
                f"Only argument names (str) can be subtracted from a cache policy, got "
                f"{type(other).__name__}."
            )
        return CompoundCachePolicy(policies=[self, Inputs(exclude=[other])])


class _Hashing(CachePolicy):
    """A policy that hashes what it reads: an unhashable argument is a warning and no key
    (``_key_or_raise`` says how to hash; a compound policy warns once for all its parts)."""

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return _warn_unhashable(self._key_or_raise, task_ctx, inputs, flow_parameters, **kwargs)


def _flatten(policy: CachePolicy) -> list[CachePolicy]:
    if isinstance(policy, CompoundCachePolicy) and policy.is_plain():
        return list(policy.policies)
    return [policy]


@dataclasses.dataclass
class CompoundCachePolicy(_Hashing):
    """Several policies at once: the key hashes all their keys (those that are not None). If a
    part fails to hash an input, the whole key is None.

    >>> from praefect.cache_policies import INPUTS, RUN_ID
    >>> isinstance(INPUTS + RUN_ID, CompoundCachePolicy)
    True
    """

    policies: list[CachePolicy] = dataclasses.field(default_factory=list)

    def is_plain(self) -> bool:
        return (
            self.key_storage is None and self.isolation_level is None and self.lock_manager is None
        )

    def _key_or_raise(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        keys = []
        for policy in self.policies:
            key = policy._key_or_raise(task_ctx, inputs, flow_parameters, **kwargs)
            if key is not None:
                keys.append(key)
        return hash_objects(*keys) if keys else None

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            return super().__sub__(other)
        if not any(isinstance(p, Inputs) for p in self.policies):
            return self  # nothing here hashes inputs: nothing to exclude
        policies = [p - other if isinstance(p, Inputs) else p for p in self.policies]
        return dataclasses.replace(self, policies=policies)


@dataclasses.dataclass
class CacheKeyFnPolicy(CachePolicy):
    """A policy from a ``cache_key_fn(task_run_context, parameters) -> str | None``. A function
    that raises gives None (the run is not cached) and a warning.

    >>> CacheKeyFnPolicy(cache_key_fn=lambda ctx, params: f"k-{params['x']}").compute_key(
    ...     None, {"x": 1}, {})
    'k-1'
    """

    cache_key_fn: Callable[..., str | None] | None = None

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if self.cache_key_fn is None:
            return None
        try:
            key = self.cache_key_fn(task_ctx, inputs)
        except Exception as exc:
            name = getattr(self.cache_key_fn, "__qualname__", repr(self.cache_key_fn))
            logger.warning(
                "cache_key_fn %r raised %s: %s; the run is not cached.",
                name,
                type(exc).__name__,
                exc,
            )
            return None
        return None if key is None else str(key)


@dataclasses.dataclass
class Inputs(_Hashing):
    """The call's inputs (the bound parameters), except those named in ``exclude``. A call with
    no inputs gives None.

    >>> (INPUTS - "debug").exclude
    ['debug']
    """

    exclude: list[str] = dataclasses.field(default_factory=list)

    def _key_or_raise(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        kept = {k: v for k, v in (inputs or {}).items() if k not in self.exclude}
        if not kept:
            return None
        return _hash_mapping(kept)

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            return super().__sub__(other)
        return dataclasses.replace(self, exclude=[*self.exclude, other])


_source_hashes: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _source_hash(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    target = code if code is not None else fn
    try:
        return _source_hashes[target]
    except (KeyError, TypeError):
        pass
    try:
        text: str | bytes = inspect.getsource(fn)
    except (OSError, TypeError):
        if code is None:
            text = repr(fn)
        else:  # defined in a REPL or exec(): no source file, use the bytecode
            text = code.co_code + repr(code.co_consts).encode()
    digest = hash_objects(text)
    try:
        _source_hashes[target] = digest
    except TypeError:
        pass
    return digest


@dataclasses.dataclass
class TaskSource(CachePolicy):
    """The task function's source code (its bytecode when the source is not available): a
    change to the task's code gives new keys."""

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        task = getattr(task_ctx, "task", None)
        fn = getattr(task, "fn", None)
        if fn is None:
            return None
        return _source_hash(fn)


@dataclasses.dataclass
class FlowParameters(_Hashing):
    """The parameters of the enclosing flow run (None when it has none)."""

    def _key_or_raise(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if not flow_parameters:
            return None
        return _hash_mapping(flow_parameters)


@dataclasses.dataclass
class RunId(CachePolicy):
    """The flow run's id (the task run's id for a task called outside a flow): results are
    reused within one flow run, e.g. when a failed flow run is retried."""

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        task_run = getattr(task_ctx, "task_run", None)
        if task_run is None:
            return None
        run_id = getattr(task_run, "flow_run_id", None) or getattr(task_run, "id", None)
        return None if run_id is None else str(run_id)


@dataclasses.dataclass
class NoCache(CachePolicy):
    """Never cache (``NO_CACHE``): adding it to another policy changes nothing."""

    is_no_cache = True

    def compute_key(
        self,
        task_ctx: TaskRunContext | None,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return None


def _warn_unhashable(
    compute: Callable[..., str | None], task_ctx: TaskRunContext | None, *args: Any, **kwargs: Any
) -> str | None:
    try:
        return compute(task_ctx, *args, **kwargs)
    except UnhashableInput as exc:
        task = getattr(getattr(task_ctx, "task", None), "name", None)
        where = f" of task {task!r}" if task else ""
        logger.warning(
            "Cannot compute a cache key%s: argument %r (of type %s) cannot be hashed (%s); "
            "this run is not cached. Exclude it from the policy (e.g. INPUTS - %r) or pass a "
            "cache_key_fn.",
            where,
            exc.name,
            exc.type_name,
            exc.cause,
            exc.name,
        )
        return None


INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
NO_CACHE = NoCache()
NONE = NO_CACHE
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID
