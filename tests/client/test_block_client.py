"""The block methods of the user-facing client, the same on both doors: the embedded store and
a real server over HTTP."""

from __future__ import annotations

import pytest

from praefect import exceptions
from praefect.client.orchestration import SyncPrefectClient


def test_block_types_and_documents_through_the_client(door):
    client = SyncPrefectClient(door)
    block_type = client.create_block_type({"slug": "greeting", "name": "Greeting"})
    again = client.create_block_type({"slug": "greeting", "name": "Greeting", "description": "d"})
    assert again.id == block_type.id and again.description == "d"  # refreshed in place
    assert client.read_block_type_by_slug("greeting").description == "d"
    with pytest.raises(exceptions.ObjectNotFound, match="'nope'"):
        client.read_block_type_by_slug("nope")

    document = client.create_block_document(
        {"name": "hi", "data": {"text": "hello"}, "block_type_id": block_type.id}
    )
    assert document.block_type.slug == "greeting" and document.data == {"text": "hello"}
    with pytest.raises(exceptions.ObjectAlreadyExists):
        client.create_block_document({"name": "hi", "data": {}, "block_type_id": block_type.id})
    with pytest.raises(exceptions.ObjectNotFound):
        client.create_block_document(
            {"name": "lost", "data": {}, "block_type_id": "00000000-0000-0000-0000-000000000001"}
        )
    client.update_block_document(document.id, {"data": {"text": "bye"}})
    assert client.read_block_document_by_name("hi", "greeting").data == {"text": "bye"}
    by_slug = {"slug": "other", "name": "Other"}
    other = client.create_block_document({"name": "hi", "data": {}, "block_type": by_slug})
    assert other.block_type.slug == "other" and other.id != document.id
    assert [d.name for d in client.read_block_documents_by_type("greeting")] == ["hi"]
    assert sorted(d.block_type.slug for d in client.read_block_documents()) == [
        "greeting",
        "other",
    ]

    client.delete_block_document(document.id)
    with pytest.raises(exceptions.ObjectNotFound):
        client.read_block_document(document.id)
    with pytest.raises(exceptions.ObjectNotFound):
        client.delete_block_document(document.id)
