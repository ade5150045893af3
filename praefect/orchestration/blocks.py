"""Block types and block documents: saved, named configuration (the store side of
``praefect.blocks``).

A block document is ``{"name", "data" (the block's fields as JSON), "block_type_id"}``, its name
unique per block type. Reads return the document with its block type nested under
``"block_type"`` (and ``block_type_name``), as Prefect's ``BlockDocument`` has them.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> doc = database.write(engine, lambda conn: create_document(
...     conn, {"name": "prod", "data": {"x": 1}, "block_type": {"slug": "demo", "name": "Demo"}}))
>>> database.read(engine, lambda conn: read_document_by_name(conn, "prod", "demo"))["data"]
{'x': 1}
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.schemas.queries import BlockDocumentQuery, BlockTypeQuery

__all__ = [
    "block_schema_id",
    "count_documents",
    "create_document",
    "create_type",
    "delete_document",
    "delete_type",
    "ensure_type",
    "read_document",
    "read_document_by_name",
    "read_documents",
    "read_type",
    "read_type_by_slug",
    "read_types",
    "update_document",
    "update_type",
]

_type = tables.block_type
_doc = tables.block_document
_NAME = re.compile(r"^[a-z0-9-]+$")
_TYPE_FIELDS = ("name", "logo_url", "documentation_url", "description", "code_example")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise exceptions.InvalidNameError(
            f"Block document name {name!r} is not valid: use only lowercase letters, numbers "
            "and dashes."
        )


# -- block types ---------------------------------------------------------------------------------
def ensure_type(conn: Connection, block_type: Mapping[str, Any]) -> dict[str, Any]:
    """The block type with ``block_type["slug"]``, created if missing; its descriptive fields
    (name, description, urls, code example) are refreshed from ``block_type`` when they
    changed (idempotent, also against a concurrent process creating it)."""
    slug = block_type["slug"]
    fields = {k: block_type.get(k) for k in _TYPE_FIELDS if k in block_type}
    fields.setdefault("name", slug)
    existing = read_type_by_slug(conn, slug)
    if existing is None:
        now = now_utc()
        values = {"id": uuid.uuid4(), "slug": slug, "created": now, "updated": now, **fields}
        conn.execute(_filters.insert_ignoring_conflicts(conn, _type, ["slug"]), values)
        existing = read_type_by_slug(conn, slug)
        assert existing is not None
    elif any(existing.get(k) != v for k, v in fields.items()):
        conn.execute(
            _type.update().where(_type.c.id == existing["id"]).values(updated=now_utc(), **fields)
        )
        existing.update(fields)
    return existing


def create_type(conn: Connection, block_type: Mapping[str, Any]) -> dict[str, Any]:
    """Create the block type ``block_type["slug"]`` and return it; ``ObjectAlreadyExists``
    when that slug is taken (Prefect's ``POST /block_types/``; ``ensure_type`` is the
    idempotent form)."""
    if read_type_by_slug(conn, block_type["slug"]) is not None:
        raise exceptions.ObjectAlreadyExists(f"Block type {block_type['slug']!r} already exists.")
    return ensure_type(conn, block_type)


def update_type(conn: Connection, block_type_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
    """Refresh the descriptive fields given (urls, description, code example) of the block type
    with this id; False when there is none."""
    row = conn.execute(sa.select(_type).where(_type.c.id == block_type_id)).mappings().first()
    if row is None:
        return False
    ensure_type(conn, {"slug": row["slug"], "name": row["name"], **fields})
    return True


def read_type(conn: Connection, block_type_id: uuid.UUID) -> dict[str, Any] | None:
    """The block type with this id as a dict, or None."""
    row = conn.execute(sa.select(_type).where(_type.c.id == block_type_id)).mappings().first()
    return dict(row) if row is not None else None


def delete_type(conn: Connection, block_type_id: uuid.UUID) -> bool:
    """Delete a block type with its documents; return whether it existed. A protected type
    (one praefect ships) is refused with ``ValueError``."""
    found = read_type(conn, block_type_id)
    if found is None:
        return False
    if found["is_protected"]:
        raise ValueError(f"Block type {found['slug']!r} is protected and cannot be deleted.")
    conn.execute(_doc.delete().where(_doc.c.block_type_id == block_type_id))
    return conn.execute(_type.delete().where(_type.c.id == block_type_id)).rowcount > 0


def read_type_by_slug(conn: Connection, slug: str) -> dict[str, Any] | None:
    """The block type with this slug as a dict, or None."""
    row = conn.execute(sa.select(_type).where(_type.c.slug == slug)).mappings().first()
    return dict(row) if row is not None else None


_SCHEMA_IDS = uuid.UUID("5c0e3a52-6f0b-4f35-9b1e-2f4c1d7a9e10")


def block_schema_id(block_type_id: uuid.UUID) -> uuid.UUID:
    """The id of a block type's schema: praefect keeps one implicit schema per block type (a
    block's fields are its class's), named by an id derived from the type's, which Prefect's
    ``BlockDocument.block_schema_id`` requires."""
    return uuid.uuid5(_SCHEMA_IDS, str(block_type_id))


def _any(operator: Any, clauses: list[Any]) -> list[Any]:
    if len(clauses) > 1 and getattr(operator, "value", operator) == "or_":
        return [sa.or_(*clauses)]
    return clauses


def _type_clauses(conn: Connection, block_types: Any, block_schemas: Any) -> list[Any]:
    """WHERE clauses on ``block_type`` for a ``BlockTypeFilter`` and a ``BlockSchemaFilter``
    (of the types' implicit schemas, which have no capabilities and no version)."""
    out: list[Any] = []
    if block_types is not None:
        if block_types.name is not None and block_types.name.like_ is not None:
            out.append(_type.c.name.icontains(block_types.name.like_, autoescape=True))
        if block_types.slug is not None and block_types.slug.any_ is not None:
            out.append(_filters.in_values(_type.c.slug, block_types.slug.any_))
    if block_schemas is not None:
        inner: list[Any] = []
        if block_schemas.block_type_id is not None and block_schemas.block_type_id.any_ is not None:
            inner.append(_filters.in_values(_type.c.id, block_schemas.block_type_id.any_))
        if block_schemas.id is not None and block_schemas.id.any_ is not None:
            wanted = set(block_schemas.id.any_)
            type_ids = conn.execute(sa.select(_type.c.id)).scalars()
            matching = [t for t in type_ids if block_schema_id(t) in wanted]
            inner.append(_filters.in_values(_type.c.id, matching))
        capabilities = block_schemas.block_capabilities
        if capabilities is not None and capabilities.all_:
            inner.append(sa.false())
        if block_schemas.version is not None and block_schemas.version.any_ is not None:
            inner.append(sa.false())
        out.extend(_any(block_schemas.operator, inner))
    return out


def read_types(conn: Connection, query: BlockTypeQuery | None = None) -> list[dict[str, Any]]:
    """Block types matching ``query`` (all without one), by name."""
    statement = sa.select(_type).order_by(_type.c.name)
    if query is not None:
        statement = statement.where(*_type_clauses(conn, query.block_types, query.block_schemas))
        statement = statement.limit(query.limit).offset(query.offset or None)
    return [dict(row) for row in conn.execute(statement).mappings()]


# -- block documents -----------------------------------------------------------------------------
def create_document(
    conn: Connection, document: Mapping[str, Any], overwrite: bool = False
) -> dict[str, Any]:
    """Save a block document and return it (as ``read_document`` does).

    ``document`` keys: ``name``, ``data`` (JSON-safe dict), ``is_anonymous`` (default False),
    and either ``block_type_id`` or ``block_type`` (a mapping with ``slug``, ``name``, ...;
    created or refreshed in the same transaction). A name already used for the block type
    raises ``ObjectAlreadyExists`` unless ``overwrite``, which replaces ``data`` in place (the
    document keeps its id).
    """
    name = document["name"]
    _check_name(name)
    if document.get("block_type") is not None:
        block_type_id = ensure_type(conn, document["block_type"])["id"]
    else:
        block_type_id = uuid.UUID(str(document["block_type_id"]))
        if conn.execute(sa.select(_type.c.id).where(_type.c.id == block_type_id)).first() is None:
            raise exceptions.ObjectNotFound(
                f"Block type {block_type_id} not found.", block_type_id=block_type_id
            )
    now = now_utc()
    values = {
        "id": uuid.UUID(str(document["id"])) if document.get("id") else uuid.uuid4(),
        "name": name,
        "block_type_id": block_type_id,
        "data": dict(document.get("data") or {}),
        "is_anonymous": bool(document.get("is_anonymous", False)),
        "created": now,
        "updated": now,
    }
    insert = _filters.insert_ignoring_conflicts(conn, _doc, ["block_type_id", "name"])
    if conn.execute(insert, values).rowcount == 0:
        where = (_doc.c.block_type_id == block_type_id) & (_doc.c.name == name)
        if not overwrite:
            slug = conn.execute(sa.select(_type.c.slug).where(_type.c.id == block_type_id))
            raise exceptions.ObjectAlreadyExists(
                f"A block document named {name!r} already exists for block type {slug.scalar()!r}."
            )
        conn.execute(_doc.update().where(where).values(data=values["data"], updated=now))
        return _read_one(conn, where)  # type: ignore[return-value]
    return _read_one(conn, _doc.c.id == values["id"])  # type: ignore[return-value]


def _select() -> sa.Select[Any]:
    return sa.select(
        _doc,
        _type.c.slug.label("block_type_slug"),
        _type.c.name.label("block_type_name"),
        _type.c.created.label("block_type_created"),
        _type.c.updated.label("block_type_updated"),
        *[
            _type.c[k].label(f"block_type_{k}")
            for k in ("logo_url", "documentation_url", "description", "code_example")
        ],
        _type.c.is_protected.label("block_type_is_protected"),
    ).join(_type, _type.c.id == _doc.c.block_type_id)


def _to_document(row: sa.RowMapping) -> dict[str, Any]:
    document = {c.name: row[c.name] for c in _doc.c}
    block_type = {"id": row["block_type_id"]}
    for key in row.keys():
        if key.startswith("block_type_") and key != "block_type_id":
            block_type[key.removeprefix("block_type_")] = row[key]
    document["block_type"] = block_type
    document["block_type_name"] = block_type["name"]
    document["block_schema_id"] = block_schema_id(document["block_type_id"])
    return document


def _read_one(conn: Connection, where: Any) -> dict[str, Any] | None:
    row = conn.execute(_select().where(where)).mappings().first()
    return _to_document(row) if row is not None else None


def read_document(conn: Connection, document_id: uuid.UUID) -> dict[str, Any] | None:
    """The block document with this id (its block type nested), or None."""
    return _read_one(conn, _doc.c.id == document_id)


def read_document_by_name(
    conn: Connection, name: str, block_type_slug: str
) -> dict[str, Any] | None:
    """The block document ``name`` of the block type ``block_type_slug``, or None."""
    return _read_one(conn, (_doc.c.name == name) & (_type.c.slug == block_type_slug))


def read_documents(
    conn: Connection,
    block_type_slug: str | None = None,
    include_anonymous: bool = False,
    limit: int | None = None,
    offset: int = 0,
    query: BlockDocumentQuery | None = None,
) -> list[dict[str, Any]]:
    """Block documents (of one block type, when given), by block type slug then name; with a
    ``query`` (Prefect's body of ``POST /block_documents/filter``), those it matches in its
    order and page (``limit`` and ``offset`` then come from it)."""
    statement = _select()
    order: list[Any] = [_type.c.slug, _doc.c.name]
    if block_type_slug is not None:
        statement = statement.where(_type.c.slug == block_type_slug)
    anonymous = None
    if query is not None:
        limit, offset = query.limit, query.offset
        statement = statement.where(*_type_clauses(conn, query.block_types, query.block_schemas))
        documents = query.block_documents
        if documents is not None:
            statement = statement.where(*_document_clauses(documents))
            anonymous = documents.is_anonymous
        sort = query.sort.value
        if sort == "NAME_ASC":
            order = [_doc.c.name, _type.c.slug]
        elif sort == "NAME_DESC":
            order = [_doc.c.name.desc(), _type.c.slug.desc()]
    if anonymous is None or anonymous.eq_ is None:
        if not include_anonymous:
            statement = statement.where(_doc.c.is_anonymous == sa.false())
    statement = statement.order_by(*order).limit(limit).offset(offset or None)
    return [_to_document(row) for row in conn.execute(statement).mappings()]


def count_documents(conn: Connection, query: BlockDocumentQuery | None = None) -> int:
    """How many block documents ``query`` matches (``limit``, ``offset`` and ``sort`` aside)."""
    if query is not None:
        query = query.model_copy(update={"limit": None, "offset": 0})
    return len(read_documents(conn, query=query))


def _document_clauses(documents: Any) -> list[Any]:
    inner: list[Any] = []
    if documents.id is not None and documents.id.any_ is not None:
        inner.append(_filters.in_values(_doc.c.id, documents.id.any_))
    if documents.is_anonymous is not None and documents.is_anonymous.eq_ is not None:
        inner.append(_doc.c.is_anonymous == bool(documents.is_anonymous.eq_))
    if documents.block_type_id is not None and documents.block_type_id.any_ is not None:
        inner.append(_filters.in_values(_doc.c.block_type_id, documents.block_type_id.any_))
    name = documents.name
    if name is not None and name.any_ is not None:
        inner.append(_filters.in_values(_doc.c.name, name.any_))
    if name is not None and name.like_ is not None:
        inner.append(_doc.c.name.icontains(name.like_, autoescape=True))
    return _any(documents.operator, inner)


def update_document(
    conn: Connection, document_id: uuid.UUID, data: Mapping[str, Any], merge: bool = False
) -> bool:
    """Replace the ``data`` of a block document (with ``merge``, update it with ``data``'s
    keys); False when there is no such document."""
    if merge:
        existing = read_document(conn, document_id)
        if existing is None:
            return False
        data = {**existing["data"], **data}
    update = _doc.update().where(_doc.c.id == document_id)
    return conn.execute(update.values(data=dict(data), updated=now_utc())).rowcount > 0


def delete_document(conn: Connection, document_id: uuid.UUID) -> bool:
    """Delete a block document; False when there is no such document."""
    return conn.execute(_doc.delete().where(_doc.c.id == document_id)).rowcount > 0
