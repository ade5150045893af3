"""Where results live, as blocks (Prefect 3's ``prefect.filesystems``): a local directory or any
fsspec URL, which can be saved by name and used as ``result_storage="local-file-system/<name>"``.

Every storage speaks the same four calls, which is all result stores need::

    >>> from praefect.filesystems import RemoteFileSystem
    >>> fs = RemoteFileSystem(basepath="memory://doc-example")
    >>> fs.write_path("a/b.txt", b"hi")
    'memory://doc-example/a/b.txt'
    >>> fs.read_path("a/b.txt"), fs.exists("a/b.txt")
    (b'hi', True)
    >>> fs.delete("a/b.txt"); fs.exists("a/b.txt")
    False

The work is done by the plain classes of ``praefect._filesystems`` (which result stores use
directly, without pydantic); a block and a plain storage on the same place compare equal.

On a storage block ``delete`` is overloaded: ``fs.delete(path)`` deletes a file,
``fs.delete()`` (no path) deletes the block's saved document, and ``LocalFileSystem.delete(name)``
deletes the document saved as ``name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr, field_validator

from praefect import _filesystems
from praefect._filesystems import ReadableFileSystem, WritableFileSystem
from praefect.blocks.core import Block, _InstanceOrClassMethod

__all__ = [
    "LocalFileSystem",
    "NullFileSystem",
    "ReadableFileSystem",
    "RemoteFileSystem",
    "WritableFileSystem",
]


class _StorageBlock(Block):
    """A block that stores bytes by path, through a plain storage object built from its
    fields."""

    _impl: Any = PrivateAttr(default=None)
    _impl_key: Any = PrivateAttr(default=None)

    def _make_storage(self) -> Any:
        raise NotImplementedError

    def _storage_key(self) -> Any:
        return None

    def _storage(self) -> Any:
        key = self._storage_key()
        if self._impl is None or self._impl_key != key:  # fields changed since: rebuild
            self._impl = self._make_storage()
            self._impl_key = key
        return self._impl

    def read_path(self, path: str) -> bytes:
        """The bytes stored at ``path``."""
        return self._storage().read_path(path)

    def write_path(self, path: str, content: bytes) -> str:
        """Store ``content`` at ``path``; returns where it went."""
        return self._storage().write_path(path, content)

    def exists(self, path: str) -> bool:
        """Whether something is stored at ``path``."""
        return self._storage().exists(path)

    def url(self) -> str:
        """Where this storage is, in a form ``resolve_result_storage`` turns back into it."""
        return self._storage().url()

    def _storage_identity(self) -> tuple[Any, ...]:
        return self._storage()._storage_identity()

    def _delete_path_or_document(self, path: str | None = None, client: Any = None) -> None:
        if path is None:
            self._delete_document(client=client)
        else:
            self._storage().delete(path)

    delete: ClassVar[_InstanceOrClassMethod] = _InstanceOrClassMethod(
        _delete_path_or_document, Block._delete_by_name
    )

    def __eq__(self, other: object) -> bool:
        return _filesystems.same_storage(self, other)

    def __hash__(self) -> int:
        return hash(self._storage_identity())

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_impl=None, _impl_key=None)  # never pickle an fsspec filesystem
        return {**state, "__pydantic_private__": private}


class LocalFileSystem(_StorageBlock):
    """Store data as a file on a local file system. Writes are atomic (a temporary file renamed
    into place), so a reader in another process never sees half a result.

    >>> import tempfile
    >>> fs = LocalFileSystem(basepath=tempfile.mkdtemp())
    >>> _ = fs.write_path("x.json", b"{}")
    >>> fs.read_path("x.json")
    b'{}'
    """

    _block_type_name = "Local File System"
    _documentation_url = "https://docs.prefect.io/latest/develop/results"
    _praefect_local_storage: ClassVar[bool] = True

    basepath: str | None = Field(default=None, description="Default local path for this block.")

    def __init__(self, basepath: str | Path | None = None, **data: Any) -> None:
        if basepath is not None:
            data["basepath"] = basepath
        super().__init__(**data)

    @field_validator("basepath", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return str(Path(value).expanduser()) if value is not None else None

    def _storage_key(self) -> Any:
        return self.basepath

    def _make_storage(self) -> Any:
        return _filesystems.LocalFileSystem(self.basepath)

    def __repr__(self) -> str:
        return f"LocalFileSystem(basepath={self.basepath!r})"


class RemoteFileSystem(_StorageBlock):
    """Store data at any fsspec URL: ``s3://bucket/prefix``, ``gs://...``, ``memory://name``;
    ``settings`` are passed to the fsspec filesystem (credentials, endpoint...).

    >>> fs = RemoteFileSystem(basepath="memory://doc-remote", settings={})
    >>> fs.read_path(fs.write_path("k", b"v").removeprefix("memory://doc-remote/"))
    b'v'
    """

    _block_type_name = "Remote File System"
    _documentation_url = "https://docs.prefect.io/latest/develop/results"

    basepath: str = Field(description="Default path for this block to write to.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Additional settings to pass through to fsspec."
    )

    def __init__(self, basepath: str | None = None, settings: dict[str, Any] | None = None,
                 **data: Any) -> None:  # fmt: skip
        if basepath is not None:
            data["basepath"] = basepath
        if settings is not None:
            data["settings"] = settings
        super().__init__(**data)

    @field_validator("basepath")
    @classmethod
    def _needs_a_scheme(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(
                f"RemoteFileSystem needs a URL with a scheme such as 's3://' or 'memory://', "
                f"got {value!r}; use LocalFileSystem for a local directory."
            )
        return value.rstrip("/")

    def _storage_key(self) -> Any:
        return (self.basepath, repr(sorted(self.settings.items())))

    def _make_storage(self) -> Any:
        return _filesystems.RemoteFileSystem(self.basepath, self.settings)

    def __repr__(self) -> str:
        return f"RemoteFileSystem(basepath={self.basepath!r})"


class NullFileSystem(_StorageBlock):
    """A storage that keeps nothing: writes are dropped, nothing exists."""

    _block_type_name = "Null File System"

    def _make_storage(self) -> Any:
        return _filesystems.NullFileSystem()

    def __repr__(self) -> str:
        return "NullFileSystem()"
