"""``/api/block_types`` and ``/api/block_documents``: saved blocks (Prefect 3's paths).

Two routers, both in ``routers``. Creating a block type whose slug exists answers 409, as in
Prefect; ``PATCH /block_types/{id}`` refreshes its descriptive fields.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from praefect import database, exceptions, orchestration
from praefect.schemas.objects import BlockDocument, BlockType
from praefect.schemas.queries import BlockDocumentCriteria, BlockDocumentQuery, BlockTypeQuery
from praefect.server.api._deps import EngineDep, page

__all__ = ["block_capabilities", "block_documents", "block_types", "router", "routers"]

block_types = APIRouter(prefix="/block_types", tags=["Block types"])
block_documents = APIRouter(prefix="/block_documents", tags=["Block documents"])
block_capabilities = APIRouter(prefix="/block_capabilities", tags=["Block capabilities"])
router = APIRouter()
router.include_router(block_types)
router.include_router(block_documents)
router.include_router(block_capabilities)
routers = (block_types, block_documents, block_capabilities)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class BlockTypeCreate(_Body):
    name: str
    slug: str
    logo_url: str | None = None
    documentation_url: str | None = None
    description: str | None = None
    code_example: str | None = None


class BlockTypeUpdate(_Body):
    logo_url: str | None = None
    documentation_url: str | None = None
    description: str | None = None
    code_example: str | None = None


class BlockDocumentCreate(_Body):
    name: str
    data: dict[str, Any] = Field(default_factory=dict)
    block_type_id: uuid.UUID
    block_schema_id: uuid.UUID | None = None
    is_anonymous: bool = False


class BlockDocumentUpdate(_Body):
    data: dict[str, Any] = Field(default_factory=dict)
    merge_existing_data: bool = True


def _document_not_found(document_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Block document {document_id} not found.", id=document_id)


def _type_not_found(slug: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Block type {slug!r} not found.", slug=slug)


# -- block types ---------------------------------------------------------------------------------
@block_types.post("/", status_code=status.HTTP_201_CREATED)
def create_block_type(block_type: BlockTypeCreate, engine: EngineDep) -> BlockType:
    """Create a block type (409 when its slug exists)."""
    row = block_type.model_dump()
    return BlockType.model_validate(
        database.write(engine, lambda conn: orchestration.blocks.create_type(conn, row))
    )


@block_types.post("/filter")
def read_block_types(
    engine: EngineDep, query: BlockTypeQuery = BlockTypeQuery()
) -> list[BlockType]:
    """Block types matching the filters, by name."""
    query = page(query)
    rows = database.read(engine, lambda conn: orchestration.blocks.read_types(conn, query))
    return [BlockType.model_validate(row) for row in rows]


@block_types.get("/{id}")
def read_block_type(id: uuid.UUID, engine: EngineDep) -> BlockType:
    row = database.read(engine, lambda conn: orchestration.blocks.read_type(conn, id))
    if row is None:
        raise exceptions.ObjectNotFound(f"Block type {id} not found.", id=id)
    return BlockType.model_validate(row)


@block_types.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_block_type(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete a block type with its documents (422 for a protected one)."""
    if not database.write(engine, lambda conn: orchestration.blocks.delete_type(conn, id)):
        raise exceptions.ObjectNotFound(f"Block type {id} not found.", id=id)


@block_types.get("/slug/{slug}")
def read_block_type_by_slug(slug: str, engine: EngineDep) -> BlockType:
    row = database.read(engine, lambda conn: orchestration.blocks.read_type_by_slug(conn, slug))
    if row is None:
        raise _type_not_found(slug)
    return BlockType.model_validate(row)


@block_types.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_block_type(id: uuid.UUID, block_type: BlockTypeUpdate, engine: EngineDep) -> None:
    """Refresh the descriptive fields of a block type."""
    fields = block_type.model_dump(exclude_unset=True)
    if not database.write(engine, lambda conn: orchestration.blocks.update_type(conn, id, fields)):
        raise exceptions.ObjectNotFound(f"Block type {id} not found.", id=id)


@block_types.get("/slug/{slug}/block_documents")
def read_block_documents_for_block_type(
    slug: str, engine: EngineDep, include_secrets: bool = False
) -> list[BlockDocument]:
    rows = database.read(
        engine, lambda conn: orchestration.blocks.read_documents(conn, block_type_slug=slug)
    )
    return [BlockDocument.model_validate(row) for row in rows]


@block_types.get("/slug/{slug}/block_documents/name/{block_document_name}")
def read_block_document_by_name_for_block_type(
    slug: str, block_document_name: str, engine: EngineDep, include_secrets: bool = False
) -> BlockDocument:
    row = database.read(
        engine,
        lambda conn: orchestration.blocks.read_document_by_name(conn, block_document_name, slug),
    )
    if row is None:
        raise exceptions.ObjectNotFound(
            f"Block document {block_document_name!r} of block type {slug!r} not found.",
            name=block_document_name,
        )
    return BlockDocument.model_validate(row)


# -- block documents -----------------------------------------------------------------------------
@block_documents.post("/", status_code=status.HTTP_201_CREATED)
def create_block_document(block_document: BlockDocumentCreate, engine: EngineDep) -> BlockDocument:
    """Save a block document (409 when the name is taken for its block type)."""
    document = block_document.model_dump()
    row = database.write(engine, lambda conn: orchestration.blocks.create_document(conn, document))
    return BlockDocument.model_validate(row)


@block_documents.post("/filter")
def read_block_documents(
    engine: EngineDep, query: BlockDocumentQuery = BlockDocumentQuery()
) -> list[BlockDocument]:
    """Block documents matching the filters (anonymous ones only when asked for), by block
    type then name unless ``sort``."""
    query = page(query)
    rows = database.read(
        engine, lambda conn: orchestration.blocks.read_documents(conn, query=query)
    )
    return [BlockDocument.model_validate(row) for row in rows]


@block_documents.post("/count")
def count_block_documents(
    engine: EngineDep, query: BlockDocumentCriteria = BlockDocumentCriteria()
) -> int:
    """How many block documents match the filters."""
    full = BlockDocumentQuery.model_validate(query.model_dump(exclude_unset=True))
    return database.read(engine, lambda conn: orchestration.blocks.count_documents(conn, full))


@block_documents.get("/{id}")
def read_block_document(
    id: uuid.UUID, engine: EngineDep, include_secrets: bool = False
) -> BlockDocument:
    row = database.read(engine, lambda conn: orchestration.blocks.read_document(conn, id))
    if row is None:
        raise _document_not_found(id)
    return BlockDocument.model_validate(row)


@block_documents.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_block_document(
    id: uuid.UUID, block_document: BlockDocumentUpdate, engine: EngineDep
) -> None:
    """Replace (or, with ``merge_existing_data``, merge into) a block document's data."""
    data, merge = block_document.data, block_document.merge_existing_data
    if not database.write(
        engine, lambda conn: orchestration.blocks.update_document(conn, id, data, merge)
    ):
        raise _document_not_found(id)


@block_documents.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_block_document(id: uuid.UUID, engine: EngineDep) -> None:
    if not database.write(engine, lambda conn: orchestration.blocks.delete_document(conn, id)):
        raise _document_not_found(id)


@block_capabilities.get("/")
def read_available_block_capabilities() -> list[str]:
    """The capabilities block schemas declare: none (praefect's implicit schemas have none)."""
    return []
