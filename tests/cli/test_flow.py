"""``praefect flow ls``."""

from __future__ import annotations


def test_flow_ls_lists_each_flow_once(invoke):
    result = invoke("flow", "ls")
    assert result.code == 0, result.output
    for name in ("cli-etl", "cli-child", "cli-broken"):
        assert sum(name in line for line in result.stdout.splitlines()) == 1


def test_flow_ls_json_and_limit(invoke):
    flows = invoke("flow", "ls", "-o", "json").json()
    assert sorted(f["name"] for f in flows) == ["cli-broken", "cli-child", "cli-etl"]
    assert all({"id", "name", "created"} <= set(f) for f in flows)
    assert len(invoke("flow", "ls", "--limit", "1", "-o", "json").json()) == 1


def test_flow_ls_on_an_empty_store(invoke, tmp_path):
    assert "No flows found" in invoke("flow", "ls", home=tmp_path).stdout
