"""Blocks: typed, named configuration saved in the database (Prefect 3's ``prefect.blocks.core``).

A block class is a pydantic model; ``save(name)`` stores its fields as a *block document* under
its *block type* (a slug such as ``local-file-system``), and ``load(name)`` rebuilds it, in this
process or any other on the same database::

    >>> import uuid
    >>> from praefect.blocks.core import Block
    >>> class Greeting(Block):
    ...     text: str = "hello"
    >>> Greeting.get_block_type_slug()
    'greeting'
    >>> name = f"doc-{uuid.uuid4().hex[:8]}"
    >>> _ = Greeting(text="bonjour").save(name)  # doctest: +SKIP
    >>> Greeting.load(name).text  # doctest: +SKIP
    'bonjour'

Block classes register themselves by slug, so ``Block.load("greeting/<name>")`` finds the class.
The SDK reaches the database only through ``praefect.client``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretBytes, SecretStr

from praefect import exceptions

__all__ = ["Block", "BlockNotSavedError", "get_block_class", "register_block_class"]

B = TypeVar("B", bound="Block")

_REGISTRY: dict[str, type[Block]] = {}
_BUILTIN_MODULES = {
    "local-file-system": "praefect.filesystems",
    "remote-file-system": "praefect.filesystems",
    "null-file-system": "praefect.filesystems",
    "secret": "praefect.blocks.system",
}
"""Where the built-in block classes live, imported when a document of their type is loaded
before the class was (``Block.load("secret/x")`` in a fresh process)."""
_NAME = re.compile(r"^[a-z0-9-]+$")


class BlockNotSavedError(RuntimeError):
    """The block has no saved document to act on (it was never saved or loaded)."""


def _slugify(text: str) -> str:
    """Prefect's slug of a block type name: lower case, runs of other characters become ``-``.

    >>> _slugify("Local File System"), _slugify("MyBlock")
    ('local-file-system', 'myblock')
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def register_block_class(cls: type[Block]) -> type[Block]:
    """Make ``cls`` the class loaded for documents of its block type (done for every subclass
    of ``Block`` when it is defined; the newest definition of a slug wins)."""
    _REGISTRY[cls.get_block_type_slug()] = cls
    return cls


def get_block_class(slug: str) -> type[Block] | None:
    """The block class registered for ``slug`` (importing praefect's own block modules on
    demand), or None."""
    cls = _REGISTRY.get(slug)
    if cls is None and slug in _BUILTIN_MODULES:
        import importlib

        importlib.import_module(_BUILTIN_MODULES[slug])
        cls = _REGISTRY.get(slug)
    return cls


def _client() -> Any:
    from praefect import client

    orchestration_client = client.get_orchestration_client()
    if not hasattr(orchestration_client, "create_block_document"):
        raise NotImplementedError(
            f"Blocks are not available through {type(orchestration_client).__name__} yet (the "
            "API server has no block routes); unset PRAEFECT_API_URL to use the database."
        )
    return orchestration_client


def _reveal(value: object) -> Any:
    """``value`` with pydantic secrets replaced by their values (what is stored)."""
    if isinstance(value, (SecretStr, SecretBytes)):
        secret = value.get_secret_value()
        return secret.decode() if isinstance(secret, bytes) else secret
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reveal(v) for v in value]
    return value


def _split_name(cls: type[Block], name: str) -> tuple[str, str]:
    """``(block_type_slug, document_name)`` from ``"slug/name"`` or, on a subclass, ``"name"``."""
    if "/" in name:
        slug, _, document_name = name.partition("/")
        return slug, document_name
    if cls is Block:
        raise ValueError(
            f"Block.load({name!r}) needs the block type too: pass 'block-type-slug/{name}', "
            f"or call load on the block class (e.g. Secret.load({name!r}))."
        )
    return cls.get_block_type_slug(), name


def _not_found(slug: str, name: str) -> ValueError:
    return ValueError(
        f"Unable to find block document named {name!r} for block type {slug!r}; save one with "
        f"<BlockClass>(...).save({name!r}) first."
    )


class _InstanceOrClassMethod:
    """A method that receives the instance when called on one and the class when called on the
    class (``block.delete()`` and ``Block.delete(name)``)."""

    def __init__(self, on_instance: Callable[..., Any], on_class: Callable[..., Any]) -> None:
        self.on_instance = on_instance
        # a classmethod (named in a class body) or one bound to a base class: keep its function,
        # which __get__ calls with the class it is looked up on
        self.on_class: Callable[..., Any] = getattr(on_class, "__func__", on_class)
        functools.update_wrapper(cast(Callable[..., Any], self), on_class)

    def __get__(self, obj: object, owner: type | None = None) -> Callable[..., Any]:
        if obj is None:
            return functools.partial(self.on_class, owner)
        return functools.partial(self.on_instance, obj)


class Block(BaseModel):
    """The base class of blocks: subclass it, declare fields, ``save`` and ``load`` by name.

    Class settings (all optional): ``_block_type_name`` (default: the class name),
    ``_block_type_slug`` (default: the slug of the type name, e.g. ``"Local File System"`` ->
    ``local-file-system``), ``_logo_url``, ``_documentation_url``, ``_description`` (default:
    the docstring's first paragraph), ``_code_example``.
    """

    model_config = ConfigDict(
        extra="allow",
        arbitrary_types_allowed=True,
        ignored_types=(_InstanceOrClassMethod,),
    )

    _block_type_name: ClassVar[str | None] = None
    _block_type_slug: ClassVar[str | None] = None
    _logo_url: ClassVar[str | None] = None
    _documentation_url: ClassVar[str | None] = None
    _description: ClassVar[str | None] = None
    _code_example: ClassVar[str | None] = None

    _block_document_id: uuid.UUID | None = PrivateAttr(default=None)
    _block_document_name: str | None = PrivateAttr(default=None)
    _is_anonymous: bool | None = PrivateAttr(default=None)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        register_block_class(cls)

    # -- the block type -------------------------------------------------------------------
    @classmethod
    def get_block_type_name(cls) -> str:
        """The block type's display name: ``_block_type_name``, else the class name."""
        return cls._block_type_name or cls.__name__

    @classmethod
    def get_block_type_slug(cls) -> str:
        """The block type's slug, as in ``"<slug>/<document name>"``.

        >>> from praefect.filesystems import LocalFileSystem
        >>> LocalFileSystem.get_block_type_slug()
        'local-file-system'
        """
        return _slugify(cls._block_type_slug or cls.get_block_type_name())

    @classmethod
    def get_description(cls) -> str | None:
        """``_description``, else the first paragraph of the class docstring."""
        if cls._description is not None:
            return cls._description
        doc = cls.__doc__ if "__doc__" in vars(cls) else None
        return doc.strip().split("\n\n")[0].strip() if doc else None

    @classmethod
    def _block_type_record(cls) -> dict[str, Any]:
        return {
            "slug": cls.get_block_type_slug(),
            "name": cls.get_block_type_name(),
            "logo_url": cls._logo_url,
            "documentation_url": cls._documentation_url,
            "description": cls.get_description(),
            "code_example": cls._code_example,
        }

    # -- documents ------------------------------------------------------------------------
    def _document_data(self) -> dict[str, Any]:
        """The fields as stored: JSON-safe, secrets revealed."""
        from pydantic_core import to_jsonable_python

        data = {name: _reveal(getattr(self, name)) for name in type(self).model_fields}
        data.update({k: _reveal(v) for k, v in (self.__pydantic_extra__ or {}).items()})
        return to_jsonable_python(data)

    def save(
        self, name: str | None = None, overwrite: bool = False, client: Any = None
    ) -> uuid.UUID:
        """Store this block's fields as the document ``name`` of its block type; returns the
        document's id.

        A name already used for this block type is refused (``ValueError`` naming it) unless
        ``overwrite=True``, which replaces the stored fields and keeps the document's id.
        Without a name, a block that was saved or loaded is saved again under its own name.
        """
        if name is None:
            name = self._block_document_name
            if name is None:
                raise ValueError(
                    "Block.save() needs a name the first time: block.save('my-block')."
                )
            overwrite = True
        slug = type(self).get_block_type_slug()
        if not _NAME.match(name):
            raise exceptions.InvalidNameError(
                f"Block document name {name!r} is not valid: use only lowercase letters, "
                "numbers and dashes."
            )
        try:
            document = (client or _client()).create_block_document(
                {
                    "name": name,
                    "data": self._document_data(),
                    "block_type": self._block_type_record(),
                    "is_anonymous": False,
                },
                overwrite=overwrite,
            )
        except exceptions.ObjectAlreadyExists:
            raise ValueError(
                f"A block document named {name!r} already exists for block type {slug!r}; "
                "choose another name, or save with overwrite=True to replace its values."
            ) from None
        self._block_document_id = document["id"]
        self._block_document_name = name
        self._is_anonymous = False
        _forget_loaded_blocks()
        return document["id"]

    @classmethod
    def load(cls: type[B], name: str, validate: bool = True, client: Any = None) -> B:
        """The block saved as ``name``: ``"document-name"`` on a block class, or
        ``"block-type-slug/document-name"`` (on ``Block`` itself, or any class).

        An unknown name raises ``ValueError`` naming the document and the block type.
        """
        slug, document_name = _split_name(cls, name)
        document = (client or _client()).read_block_document_by_name(document_name, slug)
        if document is None:
            raise _not_found(slug, document_name)
        return cls._from_block_document(document, validate=validate)

    @classmethod
    def _from_block_document(cls: type[B], document: dict[str, Any], validate: bool = True) -> B:
        slug = document["block_type"]["slug"]
        block_cls: type[B] = cls
        if cls is Block or cls.get_block_type_slug() != slug:
            found = get_block_class(slug)
            if found is None:
                raise ValueError(
                    f"No block class is registered for block type {slug!r} (document "
                    f"{document['name']!r}); import the module that defines it first."
                )
            if not issubclass(found, cls):
                raise TypeError(
                    f"The block document {slug}/{document['name']} is a {found.__name__}, "
                    f"not a {cls.__name__}."
                )
            block_cls = found
        data = document["data"]
        block = block_cls.model_validate(data) if validate else block_cls.model_construct(**data)
        block._block_document_id = document["id"]
        block._block_document_name = document["name"]
        block._is_anonymous = document.get("is_anonymous", False)
        return block  # type: ignore[return-value]

    def _delete_document(self, client: Any = None) -> None:
        """Delete the saved document of this block."""
        document_id = self._block_document_id
        if document_id is None:
            name = self._block_document_name
            if name is None:
                raise BlockNotSavedError(
                    f"This {type(self).__name__} was never saved or loaded: there is no "
                    "document to delete."
                )
            type(self)._delete_by_name(name, client=client)
        elif not (client or _client()).delete_block_document(document_id):
            raise _not_found(type(self).get_block_type_slug(), str(self._block_document_name))
        self._block_document_id = None
        _forget_loaded_blocks()

    @classmethod
    def _delete_by_name(cls, name: str, client: Any = None) -> None:
        """Delete the saved document ``name`` (or ``"slug/name"``)."""
        slug, document_name = _split_name(cls, name)
        client = client or _client()
        document = client.read_block_document_by_name(document_name, slug)
        if document is None or not client.delete_block_document(document["id"]):
            raise _not_found(slug, document_name)
        _forget_loaded_blocks()

    delete: ClassVar[_InstanceOrClassMethod] = _InstanceOrClassMethod(
        _delete_document, _delete_by_name
    )
    """``block.delete()`` deletes this block's saved document; ``BlockClass.delete(name)``
    deletes the document saved as ``name`` (``"slug/name"`` on ``Block``)."""

    # -- async twins ----------------------------------------------------------------------
    async def asave(self, name: str | None = None, overwrite: bool = False) -> uuid.UUID:
        """``save``, awaited (the database work runs in a worker thread)."""
        return await asyncio.to_thread(self.save, name, overwrite)

    @classmethod
    async def aload(cls: type[B], name: str, validate: bool = True) -> B:
        """``load``, awaited."""
        return await asyncio.to_thread(cls.load, name, validate)


# -- result storage given as "block-type/block-name" --------------------------------------------
_loaded: dict[tuple[str, str], Any] = {}
_loaded_lock = threading.Lock()


def _forget_loaded_blocks() -> None:
    with _loaded_lock:
        _loaded.clear()


def load_storage_block(slug: str) -> Any:
    """The storage block saved as ``"block-type/block-name"``, or None when no block class is
    known for that block type (the string is then not a block reference). Loaded blocks are
    kept per database, so a task naming its storage this way reads the database once."""
    from praefect import settings

    block_type, _, _ = slug.partition("/")
    if get_block_class(block_type) is None:
        return None
    key = (settings.get_current_settings().resolved_database_url, slug)
    block = _loaded.get(key)
    if block is None:
        block = Block.load(slug)
        if not (callable(getattr(block, "read_path", None)) and callable(
            getattr(block, "write_path", None)
        )):  # fmt: skip
            raise TypeError(
                f"The block {slug!r} is a {type(block).__name__}, which cannot store results "
                "(it has no read_path/write_path)."
            )
        with _loaded_lock:
            _loaded[key] = block
    return block
