"""The concurrency page: limits, slots used, who holds each lease and since when; resize and
reset."""

from __future__ import annotations

import uuid


def test_the_page_shows_limits_slots_used_and_holders(client):
    client.post("/api/v2/concurrency_limits/", json={"name": "db", "limit": 2})
    client.post("/api/concurrency_limits/", json={"tag": "etl", "concurrency_limit": 1})
    task_run_id = str(uuid.uuid4())
    body = {
        "names": ["db"],
        "slots": 1,
        "holder": {"type": "task_run", "id": task_run_id},
        "owner": "box:4242",
    }
    assert client.post("/api/v2/concurrency_limits/increment-with-lease", json=body).is_success
    html = client.get("/concurrency").text
    row = html.split('data-limit="db"')[1].split("</tr>")[0]
    assert "1 / 2" in row and f"/runs/task-run/{task_run_id}" in row
    assert "box:4242 since" in row
    tag_row = html.split('data-limit="tag:etl"')[1].split("</tr>")[0]
    assert "0 / 1" in tag_row and ">tag<" in tag_row and "none" in tag_row
    assert 'href="/concurrency"' in client.get("/dashboard").text  # in the navigation


def test_a_limit_is_resized_and_reset_from_the_page(client):
    limit = client.post("/api/v2/concurrency_limits/", json={"name": "db", "limit": 1}).json()
    body = {"names": ["db"], "slots": 1}
    client.post("/api/v2/concurrency_limits/increment-with-lease", json=body)
    resized = client.post(
        f"/ui/concurrency/{limit['id']}/limit", data={"limit": "3"}, follow_redirects=False
    )
    assert resized.status_code == 303 and "now%203" in resized.headers["location"]
    assert client.get("/api/v2/concurrency_limits/db").json()["limit"] == 3
    bad = client.post(f"/ui/concurrency/{limit['id']}/limit", data={"limit": "-2"})
    assert "got &#39;-2&#39;" in bad.text or "got '-2'" in bad.text
    assert client.get("/api/v2/concurrency_limits/db").json()["limit"] == 3
    client.post(f"/ui/concurrency/{limit['id']}/reset")
    assert client.get("/api/v2/concurrency_limits/db").json()["active_slots"] == 0
    missing = client.post(f"/ui/concurrency/{uuid.uuid4()}/reset")
    assert missing.status_code == 404
