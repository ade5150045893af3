"""``praefect variable`` and ``praefect artifact``."""

from __future__ import annotations

from praefect.client.embedded import EmbeddedClient


def test_variable_set_get_inspect_ls_and_unset(invoke, tmp_path):
    def run(*args: str):
        return invoke(*args, home=tmp_path)

    assert run("variable", "ls").stdout.strip() == "No variables found."
    assert run("variable", "set", "limits", '{"cpu": 2}', "--tag", "infra").code == 0
    assert run("variable", "get", "limits").stdout.strip() == '{"cpu": 2}'
    taken = run("variable", "set", "limits", "3")
    assert taken.code == 1 and "--overwrite" in taken.output
    assert run("variable", "set", "limits", "eu-west-1", "--overwrite").code == 0
    assert run("variable", "get", "limits").stdout.strip() == "eu-west-1"  # text, not JSON
    record = run("variable", "inspect", "limits", "-o", "json").json()
    assert (record["name"], record["value"], record["tags"]) == ("limits", "eu-west-1", [])
    assert "limits" in run("variable", "ls").stdout

    bad = run("variable", "set", "Bad Name", "1")
    assert bad.code == 1 and "'Bad Name'" in bad.output
    assert run("variable", "unset", "limits").code == 0
    missing = run("variable", "get", "limits")
    assert missing.code == 1 and "'limits' not found" in missing.output


def test_artifact_ls_inspect_and_delete(invoke, tmp_path):
    door = EmbeddedClient(f"sqlite:///{tmp_path / 'praefect.db'}")
    for n in (1, 2):
        door.enqueue_artifact({"key": "weekly", "type": "markdown", "data": f"v{n}"})
    door.enqueue_artifact({"key": "other", "type": "table", "data": "[]"})
    door.close()

    def run(*args: str):
        return invoke(*args, home=tmp_path)

    latest = run("artifact", "ls", "-o", "json").json()
    assert sorted((a["key"], a["data"]) for a in latest) == [("other", "[]"), ("weekly", "v2")]
    assert len(run("artifact", "ls", "--all", "-o", "json").json()) == 3
    versions = run("artifact", "inspect", "weekly", "-o", "json").json()
    assert [a["data"] for a in versions] == ["v2", "v1"]
    assert "weekly (latest)" in run("artifact", "inspect", "weekly").stdout

    assert run("artifact", "delete", "weekly", "--yes").code == 0
    assert [a["key"] for a in run("artifact", "ls", "-o", "json").json()] == ["other"]
    missing = run("artifact", "inspect", "weekly")
    assert missing.code == 1 and "'weekly'" in missing.output
