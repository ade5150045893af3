"""The block methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over Prefect's
``/block_types`` and ``/block_documents`` routes), kept in a mixin of their own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from praefect import exceptions

__all__ = ["HttpBlockMethods"]

_TYPE_FIELDS = ("logo_url", "documentation_url", "description", "code_example")


def _document(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    row = dict(data)
    for key in ("id", "block_type_id"):
        if isinstance(row.get(key), str):
            row[key] = uuid.UUID(row[key])
    block_type = row.get("block_type")
    if isinstance(block_type, dict) and isinstance(block_type.get("id"), str):
        row["block_type"] = {**block_type, "id": uuid.UUID(block_type["id"])}
    return row


class HttpBlockMethods:
    """Mixed into ``HttpClient`` (which provides ``_call``)."""

    _call: Any

    def create_block_type(self, block_type: Mapping[str, Any]) -> dict[str, Any]:
        """The block type with ``block_type["slug"]``, created (or refreshed) if needed."""
        slug = block_type["slug"]
        existing = self._call("GET", f"/block_types/slug/{slug}", missing=None)
        if existing is None:
            body = {"name": block_type.get("name") or slug, "slug": slug}
            body.update({k: block_type.get(k) for k in _TYPE_FIELDS})
            try:
                return _document(self._call("POST", "/block_types/", body))  # type: ignore[return-value]
            except exceptions.ObjectAlreadyExists:  # created meanwhile by another process
                existing = self._call("GET", f"/block_types/slug/{slug}")
        changes = {k: block_type[k] for k in _TYPE_FIELDS if k in block_type}
        if any(existing.get(k) != v for k, v in changes.items()):
            self._call("PATCH", f"/block_types/{existing['id']}", changes)
            existing.update(changes)
        return _document(existing)  # type: ignore[return-value]

    def read_block_type_by_slug(self, slug: str) -> dict[str, Any] | None:
        return _document(self._call("GET", f"/block_types/slug/{slug}", missing=None))

    def create_block_document(
        self, block_document: Mapping[str, Any], overwrite: bool = False
    ) -> dict[str, Any]:
        """Save a block document (its block type first, when given as ``block_type``);
        ``ObjectAlreadyExists`` for a taken name unless ``overwrite``."""
        document = dict(block_document)
        block_type = document.pop("block_type", None)
        if block_type is not None:
            type_row = self.create_block_type(block_type)
            document["block_type_id"] = type_row["id"]
            slug = type_row["slug"]
        else:
            slug = None
        try:
            return _document(self._call("POST", "/block_documents/", document))  # type: ignore[return-value]
        except exceptions.ObjectAlreadyExists:
            if not overwrite or slug is None:
                raise
        existing = self.read_block_document_by_name(document["name"], slug)
        if existing is None:
            raise exceptions.ObjectNotFound(f"Block document {document['name']!r} vanished.")
        self.update_block_document(existing["id"], document.get("data") or {})
        return self.read_block_document(existing["id"])  # type: ignore[return-value]

    def read_block_document(self, block_document_id: uuid.UUID) -> dict[str, Any] | None:
        return _document(
            self._call(
                "GET",
                f"/block_documents/{block_document_id}",
                params={"include_secrets": "true"},
                missing=None,
            )
        )

    def read_block_document_by_name(self, name: str, block_type_slug: str) -> dict[str, Any] | None:
        path = f"/block_types/slug/{block_type_slug}/block_documents/name/{name}"
        return _document(self._call("GET", path, params={"include_secrets": "true"}, missing=None))

    def read_block_documents(
        self, block_type_slug: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        if block_type_slug is not None:
            rows = self._call("GET", f"/block_types/slug/{block_type_slug}/block_documents")
            rows = rows[offset:] if limit is None else rows[offset : offset + limit]
        else:
            body: dict[str, Any] = {"offset": offset, "include_secrets": True}
            if limit is not None:
                body["limit"] = limit
            rows = self._call("POST", "/block_documents/filter", body)
        return [_document(row) for row in rows]  # type: ignore[misc]

    def update_block_document(self, block_document_id: uuid.UUID, data: Mapping[str, Any]) -> bool:
        body = {"data": dict(data), "merge_existing_data": False}
        try:
            self._call("PATCH", f"/block_documents/{block_document_id}", body)
        except exceptions.ObjectNotFound:
            return False
        return True

    def delete_block_document(self, block_document_id: uuid.UUID) -> bool:
        try:
            self._call("DELETE", f"/block_documents/{block_document_id}")
        except exceptions.ObjectNotFound:
            return False
        return True
