"""The storage implementations behind ``praefect.filesystems``: plain classes, no pydantic.

Result stores use these directly, so persisting a result never imports pydantic (the cold-start
cost of a flow run stays low); the ``praefect.filesystems`` blocks of the same names wrap them and
add ``save``/``load``. A plain storage and a block on the same place compare equal.

Every storage speaks the same four calls (``write_path``, ``read_path``, ``exists``,
``delete``: examples in ``praefect.filesystems``), which is all result stores need::

    >>> import tempfile
    >>> fs = LocalFileSystem(tempfile.mkdtemp())
    >>> fs.write_path("a.txt", b"hi").endswith("a.txt"), fs.read_path("a.txt")
    (True, b'hi')
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "LocalFileSystem",
    "NullFileSystem",
    "ReadableFileSystem",
    "RemoteFileSystem",
    "WritableFileSystem",
    "is_local",
    "same_storage",
]


class _Identified(Protocol):
    def _storage_identity(self) -> tuple[Any, ...]: ...


def same_storage(a: _Identified, b: object) -> Any:
    """Whether two storages (plain or block) point at the same place; ``NotImplemented`` when
    ``b`` is not a storage."""
    identity = getattr(b, "_storage_identity", None)
    if not callable(identity):
        return NotImplemented
    return a._storage_identity() == identity()


def is_local(storage: object) -> bool:
    """Whether ``storage`` is a local directory (a ``LocalFileSystem``, plain or block)."""
    identity = getattr(storage, "_storage_identity", None)
    return callable(identity) and identity()[0] == "local"


@runtime_checkable
class ReadableFileSystem(Protocol):
    """A storage results can be read from."""

    def read_path(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...


@runtime_checkable
class WritableFileSystem(ReadableFileSystem, Protocol):
    """A storage results can be written to (the protocol ``ResultStore`` uses)."""

    def write_path(self, path: str, content: bytes) -> str: ...

    def delete(self, path: str) -> None: ...


class LocalFileSystem:
    """A directory on this machine. Writes are atomic (a temporary file renamed into place), so
    a reader in another process never sees half a result.

    >>> import tempfile
    >>> fs = LocalFileSystem(basepath=tempfile.mkdtemp())
    >>> _ = fs.write_path("x.json", b"{}")
    >>> fs.read_path("x.json")
    b'{}'
    """

    def __init__(self, basepath: str | Path | None = None) -> None:
        self.basepath = str(Path(basepath).expanduser()) if basepath is not None else None
        self._abs_root: str | None = None
        self._made_dirs: set[str] = set()

    def _root(self) -> Path:
        return Path(self._root_str())

    def _root_str(self) -> str:
        if self._abs_root is None:  # relative base paths resolve against the first use's cwd
            self._abs_root = os.path.abspath(self.basepath or os.getcwd())
        return self._abs_root

    def _resolve(self, path: str | Path) -> Path:
        # String operations only: this runs on every cache lookup.
        root = self._root_str()
        full = os.path.normpath(os.path.join(root, path))
        if self.basepath and not (full == root or full.startswith(root.rstrip(os.sep) + os.sep)):
            raise ValueError(
                f"Path {str(path)!r} is outside of the storage's base path {self.basepath!r}."
            )
        return Path(full)

    def read_path(self, path: str) -> bytes:
        with open(self._resolve(path), "rb") as fh:
            return fh.read()

    def write_path(self, path: str, content: bytes) -> str:
        full = self._resolve(path)
        parent = str(full.parent)
        if parent not in self._made_dirs:
            full.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(parent)
        try:
            fd, tmp = tempfile.mkstemp(dir=full.parent, prefix=f".{full.name}.", suffix=".tmp")
        except FileNotFoundError:  # the directory was removed since we made it
            full.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=full.parent, prefix=f".{full.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, full)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return str(full)

    def exists(self, path: str) -> bool:
        return self._resolve(path).is_file()

    def delete(self, path: str) -> None:
        with contextlib.suppress(OSError):
            self._resolve(path).unlink()

    def url(self) -> str:
        """Where this storage is, in a form ``resolve_result_storage`` turns back into it."""
        return self._root_str()

    def _storage_identity(self) -> tuple[Any, ...]:
        return ("local", self._root_str())

    def __eq__(self, other: object) -> bool:
        return same_storage(self, other)

    def __hash__(self) -> int:
        return hash(self._storage_identity())

    def __repr__(self) -> str:
        return f"LocalFileSystem(basepath={self.basepath!r})"


class RemoteFileSystem:
    """Any fsspec URL: ``s3://bucket/prefix``, ``gs://...``, ``memory://name``; ``settings`` are
    passed to the fsspec filesystem (credentials, endpoint...).

    >>> fs = RemoteFileSystem(basepath="memory://doc-remote", settings={})
    >>> fs.read_path(fs.write_path("k", b"v").removeprefix("memory://doc-remote/"))
    b'v'
    """

    def __init__(self, basepath: str, settings: dict[str, Any] | None = None) -> None:
        if "://" not in basepath:
            raise ValueError(
                f"RemoteFileSystem needs a URL with a scheme such as 's3://' or 'memory://', "
                f"got {basepath!r}; use LocalFileSystem for a local directory."
            )
        self.basepath = basepath.rstrip("/")
        self.settings = dict(settings or {})
        self._fs: Any = None
        self._root = ""

    def _filesystem(self) -> Any:
        if self._fs is None:
            import fsspec.core

            self._fs, self._root = fsspec.core.url_to_fs(self.basepath, **self.settings)
        return self._fs

    def _full(self, path: str) -> str:
        self._filesystem()
        return f"{self._root.rstrip('/')}/{str(path).lstrip('/')}" if self._root else path

    def read_path(self, path: str) -> bytes:
        return self._filesystem().cat_file(self._full(path))

    def write_path(self, path: str, content: bytes) -> str:
        fs = self._filesystem()
        full = self._full(path)
        parent = full.rsplit("/", 1)[0]
        if parent and parent != full:
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(full, content)
        return f"{self.basepath}/{str(path).lstrip('/')}"

    def exists(self, path: str) -> bool:
        return bool(self._filesystem().exists(self._full(path)))

    def delete(self, path: str) -> None:
        fs = self._filesystem()
        full = self._full(path)
        if fs.exists(full):
            fs.rm_file(full)

    def url(self) -> str:
        return self.basepath

    def __getstate__(self) -> dict[str, Any]:
        return {"basepath": self.basepath, "settings": self.settings, "_fs": None, "_root": ""}

    def _storage_identity(self) -> tuple[Any, ...]:
        return ("remote", self.basepath, repr(sorted(self.settings.items())))

    def __eq__(self, other: object) -> bool:
        return same_storage(self, other)

    def __hash__(self) -> int:
        return hash(self._storage_identity())

    def __repr__(self) -> str:
        return f"RemoteFileSystem(basepath={self.basepath!r})"


class NullFileSystem:
    """A storage that keeps nothing: writes are dropped, nothing exists."""

    basepath = None

    def read_path(self, path: str) -> bytes:
        raise FileNotFoundError(f"NullFileSystem keeps nothing; {path!r} cannot be read.")

    def write_path(self, path: str, content: bytes) -> str:
        return path

    def exists(self, path: str) -> bool:
        return False

    def delete(self, path: str) -> None:
        return None

    def url(self) -> str:
        return "null://"

    def _storage_identity(self) -> tuple[Any, ...]:
        return ("null",)

    def __eq__(self, other: object) -> bool:
        return same_storage(self, other)

    def __hash__(self) -> int:
        return hash(self._storage_identity())

    def __repr__(self) -> str:
        return "NullFileSystem()"
