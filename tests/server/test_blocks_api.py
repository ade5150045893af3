"""``/api/block_types`` and ``/api/block_documents`` (Prefect 3's paths)."""

from __future__ import annotations


def test_block_type_and_document_lifecycle(client):
    created = client.post("/api/block_types/", json={"name": "Demo", "slug": "demo"})
    assert created.status_code == 201
    type_id = created.json()["id"]
    assert (
        client.post("/api/block_types/", json={"name": "Demo", "slug": "demo"}).status_code == 409
    )
    assert client.get("/api/block_types/slug/demo").json()["id"] == type_id
    assert client.get("/api/block_types/slug/nope").status_code == 404

    body = {"name": "prod", "data": {"x": 1}, "block_type_id": type_id}
    document = client.post("/api/block_documents/", json=body)
    assert document.status_code == 201
    document_id = document.json()["id"]
    assert client.post("/api/block_documents/", json=body).status_code == 409
    bad = client.post("/api/block_documents/", json={**body, "name": "Not Valid"})
    assert bad.status_code == 422

    by_name = client.get("/api/block_types/slug/demo/block_documents/name/prod").json()
    assert by_name["id"] == document_id and by_name["block_type"]["slug"] == "demo"
    patch = {"data": {"y": 2}, "merge_existing_data": True}
    assert client.patch(f"/api/block_documents/{document_id}", json=patch).status_code == 204
    assert client.get(f"/api/block_documents/{document_id}").json()["data"] == {"x": 1, "y": 2}
    listed = client.post("/api/block_documents/filter", json={}).json()
    assert [d["name"] for d in listed] == ["prod"]

    assert client.delete(f"/api/block_documents/{document_id}").status_code == 204
    assert client.delete(f"/api/block_documents/{document_id}").status_code == 404
    assert client.get("/api/block_types/slug/demo/block_documents").json() == []
