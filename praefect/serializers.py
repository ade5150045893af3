"""Serializers turn a result into bytes and back (Prefect 3's ``prefect.serializers``).

A serializer is named by its ``type``; ``resolve_serializer`` accepts that name or an object::

    >>> from praefect.serializers import resolve_serializer
    >>> s = resolve_serializer("json")
    >>> s.dumps({"a": 1})
    b'{"a":1}'
    >>> s.loads(b'{"a": 1}')
    {'a': 1}
    >>> resolve_serializer("compressed/pickle").loads(
    ...     resolve_serializer("compressed/pickle").dumps({1, 2}))
    {1, 2}

A custom serializer subclasses ``Serializer`` with its own ``type`` and is then found by name in
any process that imported its class.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, ClassVar

from praefect import exceptions

__all__ = [
    "CompressedJSONSerializer",
    "CompressedPickleSerializer",
    "CompressedSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "Serializer",
    "resolve_serializer",
]

_REGISTRY: dict[str, type[Serializer]] = {}


class Serializer:
    """Base of all serializers: ``dumps(obj) -> bytes``, ``loads(bytes) -> obj`` and a ``type``
    name recorded beside each persisted result.

    >>> class Upper(Serializer):
    ...     type = "doc-upper"
    ...     def dumps(self, obj): return str(obj).upper().encode()
    ...     def loads(self, blob): return blob.decode()
    >>> resolve_serializer("doc-upper").dumps("hi")
    b'HI'
    """

    type: ClassVar[str] = ""
    """The name stored with each result record, so a reader knows how to load it."""
    binary: ClassVar[bool] = True
    """Whether the output is arbitrary bytes (stored base64-encoded in a result record) rather
    than a JSON document (embedded as is)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("type"):
            _REGISTRY[cls.__dict__["type"]] = cls

    def dumps(self, obj: object) -> bytes:
        raise NotImplementedError

    def loads(self, blob: bytes) -> Any:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description: ``{"type": ...}`` plus the constructor arguments."""
        return {"type": self.type, **self._params()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Serializer:
        """The serializer described by ``to_dict()``'s output."""
        params = dict(data)
        name = params.pop("type", None)
        klass = _REGISTRY.get(name or "")
        if klass is None:
            raise ValueError(
                f"Unknown result serializer type {name!r}; known types: "
                f"{', '.join(sorted(_REGISTRY))} (import a custom serializer's class first)."
            )
        return klass(**params)

    def _params(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Serializer)
            and type(self) is type(other)
            and self.to_dict() == other.to_dict()
        )

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"


class PickleSerializer(Serializer):
    """Any Python object, through cloudpickle (the default).

    >>> PickleSerializer().loads(PickleSerializer().dumps(lambda x: x + 1))(1)
    2
    """

    type = "pickle"

    def __init__(self, picklelib: str = "cloudpickle") -> None:
        self.picklelib = picklelib
        self._lib: Any = None

    def _pickle(self) -> Any:
        if self._lib is None:
            self._lib = importlib.import_module(self.picklelib)
        return self._lib

    def dumps(self, obj: object) -> bytes:
        try:
            return self._pickle().dumps(obj)
        except Exception as exc:
            raise exceptions.SerializationError(
                f"Could not pickle a result of type {type(obj).__name__}: {exc}"
            ) from exc

    def loads(self, blob: bytes) -> Any:
        return self._pickle().loads(blob)

    def _params(self) -> dict[str, Any]:
        return {"picklelib": self.picklelib}

    def __getstate__(self) -> dict[str, Any]:
        return {"picklelib": self.picklelib, "_lib": None}


def _json_fallback(value: object) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class JSONSerializer(Serializer):
    """JSON documents: readable on disk, loaded back as plain JSON values (dicts, lists, str,
    numbers, bool, None). Dates, UUIDs, dataclasses and pydantic models are written in their JSON
    form.

    >>> import datetime
    >>> JSONSerializer().dumps({"at": datetime.date(2024, 1, 2)})
    b'{"at":"2024-01-02"}'
    """

    type = "json"
    binary = False

    def dumps(self, obj: object) -> bytes:
        import pydantic_core

        try:
            return pydantic_core.to_json(obj, fallback=_json_fallback)
        except (TypeError, ValueError, pydantic_core.PydanticSerializationError) as exc:
            raise exceptions.SerializationError(
                f"Could not serialize a result of type {type(obj).__name__} to JSON ({exc}); "
                "use result_serializer='pickle' for arbitrary Python objects."
            ) from exc

    def loads(self, blob: bytes) -> Any:
        return json.loads(blob)


class CompressedSerializer(Serializer):
    """Another serializer's output, compressed with a standard library module (``lzma``,
    ``zlib``, ``bz2``, ``gzip``: anything with ``compress``/``decompress``).

    >>> s = CompressedSerializer(serializer="json", compressionlib="zlib")
    >>> s.loads(s.dumps([1, 2, 3]))
    [1, 2, 3]
    """

    type = "compressed"

    def __init__(
        self, serializer: str | Serializer | dict[str, Any] = "pickle", compressionlib: str = "lzma"
    ) -> None:
        self.serializer = resolve_serializer(serializer)
        try:
            lib = importlib.import_module(compressionlib)
        except ImportError:
            lib = None
        if lib is None or not hasattr(lib, "compress") or not hasattr(lib, "decompress"):
            raise ValueError(
                f"Compression library {compressionlib!r} is not available or has no "
                "compress/decompress; use one of: 'bz2', 'gzip', 'lzma', 'zlib'."
            )
        self.compressionlib = compressionlib
        self._lib = lib

    def dumps(self, obj: object) -> bytes:
        return self._lib.compress(self.serializer.dumps(obj))

    def loads(self, blob: bytes) -> Any:
        return self.serializer.loads(self._lib.decompress(blob))

    def _params(self) -> dict[str, Any]:
        return {"serializer": self.serializer.to_dict(), "compressionlib": self.compressionlib}

    def __getstate__(self) -> dict[str, Any]:
        return {"serializer": self.serializer, "compressionlib": self.compressionlib}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


class CompressedPickleSerializer(CompressedSerializer):
    """``PickleSerializer`` output compressed with lzma ("compressed/pickle")."""

    type = "compressed/pickle"

    def __init__(self, compressionlib: str = "lzma", **_: Any) -> None:
        super().__init__(serializer=PickleSerializer(), compressionlib=compressionlib)

    def _params(self) -> dict[str, Any]:
        return {"compressionlib": self.compressionlib}

    def __getstate__(self) -> dict[str, Any]:
        return {"compressionlib": self.compressionlib}


class CompressedJSONSerializer(CompressedSerializer):
    """``JSONSerializer`` output compressed with lzma ("compressed/json")."""

    type = "compressed/json"

    def __init__(self, compressionlib: str = "lzma", **_: Any) -> None:
        super().__init__(serializer=JSONSerializer(), compressionlib=compressionlib)

    def _params(self) -> dict[str, Any]:
        return {"compressionlib": self.compressionlib}

    def __getstate__(self) -> dict[str, Any]:
        return {"compressionlib": self.compressionlib}


def resolve_serializer(serializer: str | Serializer | dict[str, Any]) -> Serializer:
    """A serializer from its type name (``"pickle"``, ``"json"``, ``"compressed/pickle"``,
    ``"compressed/json"``, ``"compressed"``), its ``to_dict()`` form, or the object itself.

    >>> resolve_serializer("json")
    JSONSerializer()
    >>> resolve_serializer("yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: Unknown result serializer 'yaml'; use one of: 'compressed', ...
    """
    if isinstance(serializer, Serializer):
        return serializer
    if isinstance(serializer, dict):
        return Serializer.from_dict(serializer)
    if isinstance(serializer, str):
        klass = _REGISTRY.get(serializer)
        if klass is not None:
            return klass()
    names = ", ".join(repr(n) for n in sorted(_REGISTRY))
    raise ValueError(
        f"Unknown result serializer {serializer!r}; use one of: {names}, or a Serializer object."
    )
