"""``praefect automation``: create from a file, list, inspect, pause, resume, update, delete."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path


def test_automation_commands(invoke_here, tmp_path: Path):
    spec = tmp_path / "automation.yaml"
    spec.write_text(
        textwrap.dedent("""
        name: ping-pong
        trigger:
          expect: [acme.ping]
          match: {prefect.resource.id: "acme.*"}
          threshold: 2
          within: 60
        actions:
          - type: do-nothing
        """)
    )
    made = invoke_here("automation", "create", "--from-file", str(spec))
    assert made.code == 0, made.output
    assert "Created automation 'ping-pong'" in made.stdout
    listed = invoke_here("automation", "ls")
    assert "ping-pong" in listed.stdout and "Reactive: expecting 2" in listed.stdout

    data = invoke_here("automation", "inspect", "ping-pong", "--json").json()
    assert data["trigger"]["threshold"] == 2 and data["enabled"] is True
    assert invoke_here("automation", "pause", "ping-pong").code == 0
    assert invoke_here("automation", "inspect", "ping-pong", "--json").json()["enabled"] is False
    assert invoke_here("automation", "resume", "--id", data["id"]).code == 0

    changed = {**data, "name": "renamed", "description": "changed"}
    updated = invoke_here(
        "automation", "update", "--id", data["id"], "--from-json", json.dumps(changed)
    )
    assert updated.code == 0, updated.output
    assert (
        invoke_here("automation", "inspect", "renamed", "--json").json()["description"] == "changed"
    )

    gone = invoke_here("automation", "delete", "renamed", "--yes")
    assert gone.code == 0, gone.output
    missing = invoke_here("automation", "inspect", "renamed")
    assert missing.code == 1 and "Automation 'renamed' not found" in missing.stderr


def test_bad_automation_files_are_refused_with_the_reason(invoke_here, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "x", "trigger": {"expect": ["a"]}, "actions": [{"type": "nope"}]})
    )
    refused = invoke_here("automation", "create", "--from-file", str(bad))
    assert refused.code == 1 and "Invalid automation 'x'" in refused.stderr
    missing = str(uuid.uuid4())
    runs = {
        "name": "y",
        "trigger": {"expect": ["a"]},
        "actions": [{"type": "run-deployment", "deployment_id": missing}],
    }
    refused = invoke_here("automation", "create", "--from-json", json.dumps(runs))
    assert refused.code == 1 and missing in refused.stderr
    assert "No automations found" in invoke_here("automation", "ls").stdout
