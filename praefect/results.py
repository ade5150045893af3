"""Persisted results: records in result storage, and the store that reads and writes them
(Prefect 3's ``prefect.results``).

A result record is a JSON envelope ``{"metadata": {...}, "result": ...}`` written under its key
in result storage. With the "json" serializer the result is the JSON document itself, readable on
disk; binary serializers' output is base64-encoded. The database keeps only
``record.to_reference()``, never the payload::

    >>> from praefect.results import ResultRecord, ResultStore
    >>> store = ResultStore(result_storage="memory://doc-results", serializer="json")
    >>> record = store.write({"answer": 42}, key="k")
    >>> store.exists("k"), store.read("k").result
    (True, {'answer': 42})
    >>> ResultRecord.from_reference(record.to_reference()).load_result()
    {'answer': 42}
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import json
import os
import re
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from praefect import _filesystems, exceptions, serializers
from praefect.locking import protocol as _lock_protocol
from praefect.serializers import Serializer, resolve_serializer
from praefect.utilities.ids import uuid7

if TYPE_CHECKING:
    from praefect.cache_policies import CachePolicy
    from praefect.flows import Flow
    from praefect.tasks import Task
    from praefect.transactions import IsolationLevel

__all__ = [
    "ResultRecord",
    "ResultRecordMetadata",
    "ResultStore",
    "get_default_result_storage",
    "get_result_store",
    "resolve_result_storage",
    "resolve_serializer",
    "should_persist_result",
]

REFERENCE_MARKER = "__praefect_result_ref__"
_MISSING: Any = object()

StorageArgument = _filesystems.WritableFileSystem | str | Path
"""What ``result_storage`` takes (``resolve_result_storage``): a storage object, a local path, an
fsspec URL or a saved block's ``"block-type/block-name"`` slug."""
_UTC = _dt.UTC
_ENVELOPE_HEAD = '{"metadata":'


def _version() -> str:
    return str(getattr(sys.modules.get("praefect"), "__version__", "unknown"))


# -- records -----------------------------------------------------------------------------------
@dataclasses.dataclass
class ResultRecordMetadata:
    """What is known about a persisted result without loading it."""

    storage_key: str
    """The record's path inside its result storage (the cache or storage key)."""
    expiration: _dt.datetime | None = None
    """After this moment the record no longer counts as a cache hit (it can still be read)."""
    serializer: Serializer = dataclasses.field(default_factory=serializers.PickleSerializer)
    """How the result was serialized."""
    storage_url: str | None = None
    """Where the record is: a local directory or an fsspec URL (see ``resolve_result_storage``)."""
    prefect_version: str = dataclasses.field(default_factory=_version)
    """The praefect version that wrote the record."""
    storage_block_id: uuid.UUID | None = None
    """The storage block the record was written to, when storage is a saved block."""

    def is_expired(self, now: _dt.datetime | None = None) -> bool:
        """Whether the record's expiration has passed."""
        if self.expiration is None:
            return False
        return self.expiration <= (now or _dt.datetime.now(_UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "storage_key": self.storage_key,
            "expiration": self.expiration.isoformat() if self.expiration else None,
            "serializer": self.serializer.to_dict(),
            "storage_url": self.storage_url,
            "prefect_version": self.prefect_version,
            "storage_block_id": str(self.storage_block_id) if self.storage_block_id else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResultRecordMetadata:
        expiration = data.get("expiration")
        if isinstance(expiration, str):
            expiration = _dt.datetime.fromisoformat(expiration)
        if expiration is not None and expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=_UTC)
        block_id = data.get("storage_block_id")
        return cls(
            storage_key=data["storage_key"],
            expiration=expiration,
            serializer=resolve_serializer(data.get("serializer") or "pickle"),
            storage_url=data.get("storage_url"),
            prefect_version=data.get("prefect_version") or "unknown",
            storage_block_id=uuid.UUID(str(block_id)) if block_id else None,
        )


class ResultRecord:
    """A result and its metadata. Built from a reference (``from_reference``) it holds no value
    and loads it from storage on ``load_result()``, keeping nothing in memory.

    >>> from praefect.serializers import JSONSerializer
    >>> record = ResultRecord([1, 2], ResultRecordMetadata("k", serializer=JSONSerializer()))
    >>> record.serialize()[:12], ResultRecord.deserialize(record.serialize()).result
    (b'{"metadata":', [1, 2])
    """

    __slots__ = ("metadata", "_value", "_storage")

    def __init__(
        self, result: object = _MISSING, metadata: ResultRecordMetadata | None = None, *,
        storage: _filesystems.WritableFileSystem | None = None,
    ) -> None:  # fmt: skip
        if metadata is None:
            raise TypeError("ResultRecord needs its metadata (a ResultRecordMetadata).")
        self.metadata = metadata
        self._value = result
        self._storage = storage

    # -- the value ------------------------------------------------------------------------------
    @property
    def result(self) -> Any:
        """The value (loaded from storage when this record does not hold it)."""
        return self.load_result()

    def has_value(self) -> bool:
        """Whether the value is held in memory."""
        return self._value is not _MISSING

    def drop_value(self) -> None:
        """Forget the in-memory value; ``load_result()`` then reads it from storage."""
        self._value = _MISSING

    def load_result(self) -> Any:
        """The value: from memory when held, else read and deserialized from storage (and not
        kept: a flow holding many references does not hold their payloads)."""
        if self._value is not _MISSING:
            return self._value
        storage = self._storage or resolve_result_storage(self.metadata.storage_url)
        key = self.metadata.storage_key
        try:
            blob = storage.read_path(key)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise exceptions.MissingResult(
                f"The result record {key!r} is not in its storage {_describe(storage)}; it was "
                "deleted or written to storage this process cannot see."
            ) from None
        return ResultRecord.deserialize(blob).result

    # -- bytes ----------------------------------------------------------------------------------
    def serialize(self) -> bytes:
        """The JSON envelope written to storage."""
        serializer = self.metadata.serializer
        payload = serializer.dumps(self.load_result())
        if serializer.binary:
            payload = b'"' + base64.b64encode(payload) + b'"'
        meta = json.dumps(self.metadata.to_dict(), separators=(",", ":")).encode()
        return _ENVELOPE_HEAD.encode() + meta + b',"result":' + payload + b"}"

    @classmethod
    def deserialize(
        cls, data: bytes | str, storage: _filesystems.WritableFileSystem | None = None
    ) -> ResultRecord:
        """A record (holding its value) from ``serialize()``'s output."""
        envelope = json.loads(data)
        metadata = ResultRecordMetadata.from_dict(envelope["metadata"])
        serializer = metadata.serializer
        raw = envelope["result"]
        if serializer.binary:
            value = serializer.loads(base64.b64decode(raw))
        elif type(serializer) is serializers.JSONSerializer:
            value = raw
        else:
            value = serializer.loads(json.dumps(raw).encode())
        return cls(value, metadata, storage=storage)

    # -- references -----------------------------------------------------------------------------
    def to_reference(self) -> dict[str, Any]:
        """The JSON-safe dict the database keeps in place of the result.

        >>> ResultRecord(1, ResultRecordMetadata("k")).to_reference()["storage_key"]
        'k'
        """
        return {REFERENCE_MARKER: True, **self.metadata.to_dict()}

    @classmethod
    def from_reference(
        cls, reference: dict[str, Any], storage: _filesystems.WritableFileSystem | None = None
    ) -> ResultRecord:
        """A record that loads its value from storage when asked."""
        data = {k: v for k, v in reference.items() if k != REFERENCE_MARKER}
        return cls(metadata=ResultRecordMetadata.from_dict(data), storage=storage)

    @staticmethod
    def is_reference(value: object) -> bool:
        """Whether ``value`` is a stored result reference (a dict from ``to_reference``)."""
        return isinstance(value, dict) and bool(value.get(REFERENCE_MARKER))

    def __getstate__(self) -> dict[str, Any]:
        return {"metadata": self.metadata, "_value": self._value, "_storage": self._storage}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        held = "held" if self.has_value() else "in storage"
        return f"ResultRecord(key={self.metadata.storage_key!r}, {held})"


def _metadata_of(blob: bytes) -> ResultRecordMetadata:
    """A record's metadata without decoding its (possibly large) result."""
    text = blob.decode()
    if text.startswith(_ENVELOPE_HEAD):
        meta, _ = json.JSONDecoder().raw_decode(text, len(_ENVELOPE_HEAD))
    else:
        meta = json.loads(text)["metadata"]
    return ResultRecordMetadata.from_dict(meta)


def _describe(storage: object) -> str:
    url = getattr(storage, "url", None)
    return repr(url() if callable(url) else storage)


# -- storage -----------------------------------------------------------------------------------
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+/[\w.-]+$")
_STORAGE_BLOCK_TYPES = frozenset(
    {
        "local-file-system",
        "remote-file-system",
        "smb",
        "s3-bucket",
        "gcs-bucket",
        "azure-blob-storage-container",
    }
)


def get_default_result_storage() -> _filesystems.LocalFileSystem:
    """Local storage at ``PRAEFECT_LOCAL_STORAGE_PATH`` (default ``$PRAEFECT_HOME/storage``).

    >>> get_default_result_storage().basepath.endswith("storage")  # doctest: +SKIP
    True
    """
    from praefect import settings

    return _filesystems.LocalFileSystem(settings.get_current_settings().resolved_storage_path)


def resolve_result_storage(
    storage: StorageArgument | None = None,
) -> _filesystems.WritableFileSystem:
    """A storage object from what a user passes as ``result_storage``: None (the default
    storage), a local path (str or ``Path``), an fsspec URL (``s3://...``, ``memory://...``), a
    storage object (returned as is) or a saved block's ``"block-type/block-name"`` slug.

    >>> resolve_result_storage("memory://x")
    RemoteFileSystem(basepath='memory://x')
    >>> resolve_result_storage("/tmp/results")
    LocalFileSystem(basepath='/tmp/results')
    """
    if storage is None:
        return get_default_result_storage()
    if isinstance(storage, Path):
        return _filesystems.LocalFileSystem(storage)
    if isinstance(storage, str):
        if storage.startswith("file://"):
            return _filesystems.LocalFileSystem(storage.removeprefix("file://"))
        if "://" in storage:
            return _filesystems.RemoteFileSystem(storage)
        if _SLUG.match(storage) and not Path(storage).exists():
            from praefect.blocks import core as _blocks  # pydantic: only when a slug is given

            block = _blocks.load_storage_block(storage)
            if block is not None:
                return block
            block_type = storage.split("/")[0]
            if block_type not in _STORAGE_BLOCK_TYPES:
                return _filesystems.LocalFileSystem(storage)  # a relative directory
            raise ValueError(
                f"Result storage {storage!r} names a {block_type!r} block, and no block class "
                f"for {block_type!r} is available in this process; install and import the "
                "integration that defines it, or pass a path, an fsspec URL or a storage object."
            )
        return _filesystems.LocalFileSystem(storage)
    if callable(getattr(storage, "write_path", None)) and callable(
        getattr(storage, "read_path", None)
    ):
        return storage
    raise TypeError(
        f"Result storage of type {type(storage).__name__} is not supported; pass a path, an "
        "fsspec URL, or an object with read_path/write_path/exists (e.g. LocalFileSystem)."
    )


def _storage_url(storage: object) -> str | None:
    url = getattr(storage, "url", None)
    return url() if callable(url) else None


# -- the store ---------------------------------------------------------------------------------
def _default_storage_key() -> str:
    return uuid7().hex


class ResultStore:
    """Reads and writes result records in one storage, with one serializer, and owns the locks
    of its keys (a ``FileSystemLockManager`` beside local storage by default).

    >>> store = ResultStore(result_storage="memory://doc-store")
    >>> record = store.write([1, 2, 3], key="numbers")
    >>> store.read("numbers").result
    [1, 2, 3]
    """

    def __init__(
        self,
        result_storage: StorageArgument | None = None,
        serializer: str | Serializer = "pickle",
        cache_result_in_memory: bool = True,
        storage_key_fn: Callable[[], str] = _default_storage_key,
        lock_manager: _lock_protocol.LockManager | None = None,
    ) -> None:
        self.result_storage = (
            resolve_result_storage(result_storage) if result_storage is not None else None
        )
        self.serializer = resolve_serializer(serializer)
        self.cache_result_in_memory = cache_result_in_memory
        self.storage_key_fn = storage_key_fn
        self.lock_manager = lock_manager
        self._default_storage: Any = None
        self._peeked: tuple[str, bytes] | None = None

    # -- configuration --------------------------------------------------------------------------
    @property
    def storage(self) -> Any:
        """The result storage in use (the default storage when none was given)."""
        if self.result_storage is not None:
            return self.result_storage
        if self._default_storage is None:
            self._default_storage = get_default_result_storage()
        return self._default_storage

    @property
    def locks(self) -> _lock_protocol.LockManager:
        """The lock manager in use: the one given, else file locks under ``<storage>/.locks``
        for local storage (``$PRAEFECT_HOME/storage/.locks`` otherwise)."""
        if self.lock_manager is None:
            from praefect.locking.filesystem import FileSystemLockManager

            storage = self.storage
            base: str | None = getattr(storage, "basepath", None)
            if not _filesystems.is_local(storage) or base is None:
                base = get_default_result_storage().basepath
            # no base path: local storage is relative to the working directory
            self.lock_manager = FileSystemLockManager(Path(base or os.getcwd()) / ".locks")
        return self.lock_manager

    def model_copy(self, update: dict[str, Any] | None = None) -> ResultStore:
        """A copy with some fields changed."""
        new = ResultStore.__new__(ResultStore)
        new.__dict__.update(self.__getstate__())
        for name, value in (update or {}).items():
            if name == "result_storage":
                value = resolve_result_storage(value) if value is not None else None
            elif name == "serializer":
                value = resolve_serializer(value)
            setattr(new, name, value)
        return new

    def update_for_flow(self, flow: Flow[..., Any]) -> ResultStore:
        """This store with a flow's ``result_storage``, ``result_serializer`` and
        ``cache_result_in_memory`` applied (unset options keep this store's)."""
        update: dict[str, Any] = {}
        if getattr(flow, "result_storage", None) is not None:
            update["result_storage"] = flow.result_storage
        if getattr(flow, "result_serializer", None) is not None:
            update["serializer"] = flow.result_serializer
        if getattr(flow, "cache_result_in_memory", None) is not None:
            update["cache_result_in_memory"] = flow.cache_result_in_memory
        update["storage_key_fn"] = _default_storage_key
        return self.model_copy(update)

    def update_for_task(self, task: Task[..., Any]) -> ResultStore:
        """This store with a task's result options applied: ``result_storage``,
        ``result_serializer``, ``cache_result_in_memory``, ``result_storage_key`` (a template
        formatted when a record is created) and its cache policy's ``key_storage`` and
        ``lock_manager``.

        >>> class T: result_serializer = "json"; cache_policy = None
        >>> ResultStore().update_for_task(T()).serializer
        JSONSerializer()
        """
        update = dataclasses.asdict(_TaskOptions.of(task))
        update = {k: v for k, v in update.items() if v is not None}
        template = getattr(task, "result_storage_key", None)
        update["storage_key_fn"] = (
            _default_storage_key
            if template is None
            else lambda: _format_user_supplied_storage_key(template)
        )
        return self.model_copy(update)

    # -- records --------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        """Whether a record is stored under ``key`` and has not expired."""
        try:
            blob = self.storage.read_path(key)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        try:
            fresh = not _metadata_of(blob).is_expired()
        except (ValueError, KeyError, TypeError):
            return False  # not a result record: never a cache hit
        if fresh:
            self._peeked = (key, blob)  # a cache hit reads the record next: spare a second read
        return fresh

    def read(self, key: str, holder: str | None = None) -> ResultRecord:
        """The record stored under ``key`` (holding its value). Raises ``MissingResult`` when
        there is none."""
        storage = self.storage
        peeked, self._peeked = self._peeked, None
        try:
            blob = peeked[1] if peeked and peeked[0] == key else storage.read_path(key)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise exceptions.MissingResult(
                f"No result record with key {key!r} in {_describe(storage)}."
            ) from None
        record = ResultRecord.deserialize(blob, storage=storage)
        if not self.cache_result_in_memory:
            record.drop_value()
        return record

    def create_result_record(
        self,
        obj: object,
        key: str | None = None,
        expiration: _dt.datetime | _dt.timedelta | None = None,
    ) -> ResultRecord:
        """A record for ``obj`` under ``key`` (a fresh key from ``storage_key_fn`` when None),
        not yet written."""
        if isinstance(expiration, _dt.timedelta):
            expiration = _dt.datetime.now(_UTC) + expiration
        storage = self.storage
        metadata = ResultRecordMetadata(
            storage_key=key if key is not None else self.storage_key_fn(),
            expiration=expiration,
            serializer=self.serializer,
            storage_url=_storage_url(storage),
            storage_block_id=getattr(storage, "_block_document_id", None),
        )
        return ResultRecord(obj, metadata, storage=storage)

    def persist_result_record(self, result_record: ResultRecord, holder: str | None = None) -> None:
        """Write a record to storage. Refused (``RuntimeError``) while another holder has the
        key's lock. Without ``cache_result_in_memory`` the record forgets its value once
        written."""
        key = result_record.metadata.storage_key
        holder = holder or self.generate_default_holder()
        locks = self.lock_manager
        if locks is not None and locks.is_locked(key) and not locks.is_lock_holder(key, holder):
            raise RuntimeError(
                f"Cannot write the result record {key!r}: it is locked by another holder."
            )
        storage = result_record._storage or self.storage
        storage.write_path(key, result_record.serialize())
        result_record._storage = storage
        if not self.cache_result_in_memory:
            result_record.drop_value()

    def write(
        self,
        obj: object,
        key: str | None = None,
        expiration: _dt.datetime | _dt.timedelta | None = None,
        holder: str | None = None,
    ) -> ResultRecord:
        """Create and persist a record for ``obj``; returns it."""
        record = self.create_result_record(obj, key=key, expiration=expiration)
        self.persist_result_record(record, holder=holder)
        return record

    # -- isolation and locks --------------------------------------------------------------------
    def supports_isolation_level(self, level: IsolationLevel | str) -> bool:
        """READ_COMMITTED always; SERIALIZABLE with a lock manager (there is one by default)."""
        name = getattr(level, "value", level)
        return name in ("READ_COMMITTED", "SERIALIZABLE")

    @staticmethod
    def generate_default_holder() -> str:
        """This host, process and thread."""
        return _lock_protocol.default_holder()

    def acquire_lock(
        self, key: str, holder: str | None = None, timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:  # fmt: skip
        """Take ``key``'s lock, waiting up to ``timeout`` seconds (None: as long as needed)."""
        return self.locks.acquire_lock(
            key, holder or self.generate_default_holder(), acquire_timeout=timeout,
            hold_timeout=hold_timeout,
        )  # fmt: skip

    def release_lock(self, key: str, holder: str | None = None) -> None:
        self.locks.release_lock(key, holder or self.generate_default_holder())

    def is_locked(self, key: str) -> bool:
        return self.locks.is_locked(key)

    def is_lock_holder(self, key: str, holder: str | None = None) -> bool:
        return self.locks.is_lock_holder(key, holder or self.generate_default_holder())

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        return self.locks.wait_for_lock(key, timeout=timeout)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_peeked": None}

    def __repr__(self) -> str:
        return (
            f"ResultStore(result_storage={self.result_storage!r}, serializer={self.serializer!r})"
        )


@dataclasses.dataclass
class _TaskOptions:
    result_storage: Any = None
    serializer: Any = None
    cache_result_in_memory: bool | None = None
    lock_manager: Any = None

    @classmethod
    def of(cls, task: Task[..., Any]) -> _TaskOptions:
        policy = getattr(task, "cache_policy", None)
        key_storage = getattr(policy, "key_storage", None)
        return cls(
            result_storage=key_storage or getattr(task, "result_storage", None),
            serializer=getattr(task, "result_serializer", None),
            cache_result_in_memory=getattr(task, "cache_result_in_memory", None),
            lock_manager=getattr(policy, "lock_manager", None),
        )


def _format_user_supplied_storage_key(
    template: str, parameters: dict[str, Any] | None = None
) -> str:
    """A ``result_storage_key`` template formatted with ``parameters`` (the run's, by default)
    and the ``praefect.runtime`` modules: ``"sq-{parameters[x]}-{flow_run.id}.json"``."""
    from praefect import context, runtime

    if parameters is None:
        ctx = context.TaskRunContext.get() or context.FlowRunContext.get()
        parameters = dict(getattr(ctx, "parameters", None) or {})
    return template.format(
        parameters=parameters,
        flow_run=runtime.flow_run,
        task_run=runtime.task_run,
        deployment=runtime.deployment,
    )


# -- the store in force, and whether to persist ------------------------------------------------
def get_result_store() -> ResultStore:
    """The store of the run executing here (its context's ``result_store``), else a store over
    the default storage."""
    from praefect import context

    for ctx in (context.TaskRunContext.get(), context.FlowRunContext.get()):
        store = getattr(ctx, "result_store", None)
        if store is not None:
            return store
    return ResultStore()


def should_persist_result(
    persist_result: bool | None = None,
    *,
    cache_policy: CachePolicy | None = None,
    cache_key_fn: Callable[..., str | None] | None = None,
    result_storage_key: str | None = None,
    result_storage: StorageArgument | None = None,
    result_serializer: Serializer | str | None = None,
    parent: bool | None = None,
) -> bool:
    """Whether a task or flow persists its result, by Prefect's rules:

    1. ``persist_result`` when set (True or False);
    2. True when any of ``cache_policy`` (other than ``NO_CACHE``), ``cache_key_fn``,
       ``result_storage_key``, ``result_storage`` or ``result_serializer`` is set;
    3. ``parent``: the enclosing run's decision (for a task, its flow's), when given, else the
       ``persist_result`` of the run context executing here;
    4. the setting ``PRAEFECT_RESULTS_PERSIST_BY_DEFAULT`` (False by default).

    >>> should_persist_result(), should_persist_result(result_serializer="json")
    (False, True)
    >>> should_persist_result(False, cache_key_fn=lambda c, p: "k")
    False
    """
    if persist_result is not None:
        return bool(persist_result)
    policy_set = cache_policy is not None and not getattr(cache_policy, "is_no_cache", False)
    if policy_set or any(
        option is not None
        for option in (cache_key_fn, result_storage_key, result_storage, result_serializer)
    ):
        return True
    if parent is None:
        from praefect import context

        for ctx in (context.TaskRunContext.get(), context.FlowRunContext.get()):
            decided = getattr(ctx, "persist_result", None)
            if decided is not None:
                return bool(decided)
    if parent is not None:
        return bool(parent)
    from praefect import settings

    return settings.get_current_settings().results_persist_by_default
