"""``praefect global-concurrency-limit`` (``gcl``) and ``praefect concurrency-limit``."""

from __future__ import annotations

import uuid

from praefect.concurrency.sync import concurrency


def test_global_concurrency_limit_commands(invoke_here):
    made = invoke_here("gcl", "create", "db", "--limit", "2")
    assert made.code == 0 and "Created global concurrency limit 'db' with limit 2" in made.stdout
    again = invoke_here("global-concurrency-limit", "create", "db")
    assert again.code == 1 and "already exists" in again.stderr
    assert "db" in invoke_here("gcl", "ls").stdout
    assert invoke_here("gcl", "update", "db", "--limit", "3", "--disable").code == 0
    data = invoke_here("gcl", "inspect", "db", "-o", "json").json()
    assert (data["limit"], data["active"], data["leases"]) == (3, False, [])
    assert invoke_here("gcl", "enable", "db").code == 0
    with concurrency("db", occupy=2, lease_duration=60):
        shown = invoke_here("gcl", "inspect", "db")
    assert "Active slots            2" in shown.stdout
    assert "2 slot(s)" in shown.stdout and "since" in shown.stdout
    assert invoke_here("gcl", "disable", "db").code == 0
    nothing = invoke_here("gcl", "update", "db")
    assert nothing.code == 1 and "Nothing to update" in nothing.stderr
    assert invoke_here("gcl", "delete", "db", "--yes").code == 0
    missing = invoke_here("gcl", "inspect", "db")
    assert missing.code == 1 and "Global concurrency limit 'db' not found" in missing.stderr


def test_tag_concurrency_limit_commands(invoke_here):
    made = invoke_here("concurrency-limit", "create", "database", "2")
    assert made.code == 0 and "concurrency_limit - 2" in made.stdout
    task_run_id = uuid.uuid4()
    with concurrency("tag:database", holder={"type": "task_run", "id": task_run_id}):
        listed = invoke_here("concurrency-limit", "ls")
        inspected = invoke_here("concurrency-limit", "inspect", "database")
    assert "database" in listed.stdout and str(task_run_id) in listed.stdout
    assert f"task_run {task_run_id}" in inspected.stdout
    assert invoke_here("concurrency-limit", "reset", "database").code == 0
    data = invoke_here("concurrency-limit", "inspect", "database", "-o", "json").json()
    assert data["active_slots"] == []
    assert invoke_here("concurrency-limit", "delete", "database", "--yes").code == 0
    missing = invoke_here("concurrency-limit", "reset", "database")
    assert missing.code == 1 and "No concurrency limit found for the tag 'database'" in (
        missing.stderr
    )
