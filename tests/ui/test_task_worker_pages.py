"""The task workers page: every task worker with the tasks it serves, and the background runs
waiting for one, by task."""

from __future__ import annotations

import uuid


def test_task_workers_page_lists_workers_their_tasks_and_waiting_runs(client):
    beat = {"client_id": "host-1-abc", "task_keys": ["triple-1a2b3c4d"], "hostname": "host-1"}
    beat["pid"] = 4242
    assert client.post("/api/task_workers/heartbeat", json=beat).status_code == 204
    for task_key in ("triple-1a2b3c4d", "resize-99887766", "resize-99887766"):
        run = {"id": str(uuid.uuid4()), "name": "r", "task_key": task_key}
        run["state"] = {"type": "SCHEDULED", "state_details": {"deferred": True}}
        assert client.post("/api/task_runs/", json=run).status_code == 201
    page = client.get("/task-workers")
    assert page.status_code == 200
    workers = page.text.split('id="task-workers"')[1].split("</table>")[0]
    assert "host-1-abc" in workers and "4242" in workers and ">triple<" in workers
    tasks = page.text.split('id="background-tasks"')[1].split("</table>")[0]
    rows = {row.split("</td>")[0].split("<td>")[-1]: row for row in tasks.split("<tr>")[2:]}
    assert set(rows) == {"triple", "resize"}
    assert '<td class="num">2</td>' in rows["resize"]  # two runs wait, no worker serves it
    assert 'href="/task-workers"' in client.get("/dashboard").text


def test_task_workers_page_without_workers_says_how_to_start_one(client):
    assert "praefect task serve" in client.get("/task-workers").text
