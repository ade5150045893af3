"""``praefect mcp``: a session of the MCP SDK's own client over stdio against a store where a
flow ran and failed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import PRAEFECT, subprocess_env

pytest.importorskip("mcp")

FLOWS = """
from praefect import flow, task

@task
def score(rows: int) -> float:
    raise ValueError("bad batch: no checksum")

@flow(name="mcp-pipeline")
def pipeline() -> float:
    return score(3)

@flow(name="mcp-fine")
def fine() -> int:
    return 1

fine()
try:
    pipeline()
except ValueError:
    pass
"""


def _texts(result) -> list:  # type: ignore[no-untyped-def]
    assert not result.is_error, result
    return [json.loads(part.text) for part in result.content]


def test_an_assistant_lists_runs_explains_a_failure_and_reads_logs(tmp_path: Path):
    from mcp import Client, StdioServerParameters

    env = subprocess_env(tmp_path)
    done = subprocess.run([sys.executable, "-c", FLOWS], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr

    async def session() -> dict:
        command = [str(PRAEFECT)] if PRAEFECT.exists() else [sys.executable, "-m", "praefect.cli"]
        server = StdioServerParameters(command=command[0], args=[*command[1:], "mcp"], env=env)
        async with Client(server) as client:
            tools = sorted(tool.name for tool in (await client.list_tools()).tools)
            runs = await client.call_tool("list_flow_runs", {"state": "failed"})
            failed = _texts(runs)
            failed_runs = failed[0] if isinstance(failed[0], list) else failed
            run_id = failed_runs[0]["id"]
            why = _texts(await client.call_tool("explain_flow_run", {"flow_run_id": run_id}))[0]
            logs = await client.call_tool("read_logs", {"flow_run_id": run_id})
            refused = await client.call_tool("cancel_flow_run", {"flow_run_id": run_id})
            return {"tools": tools, "failed": failed_runs, "why": why,
                    "logs": [p.text for p in logs.content], "refused": refused}  # fmt: skip

    seen = asyncio.run(asyncio.wait_for(session(), 120))
    assert seen["tools"] == [
        "explain_flow_run",
        "inspect_flow_run",
        "list_deployments",
        "list_flow_runs",
        "list_work_pools",
        "read_logs",
    ]  # fmt: skip  (no actions without --allow-actions)
    assert [run["flow"] for run in seen["failed"]] == ["mcp-pipeline"]
    explanation = " ".join(seen["why"]["explanation"])
    assert "Failed" in explanation and "ValueError" in explanation
    assert "bad batch: no checksum" in explanation
    assert any("bad batch" in line for line in seen["logs"])
    assert seen["refused"].is_error  # cancel_flow_run is not a tool here


def test_with_allow_actions_an_assistant_may_cancel_a_run(tmp_path: Path):
    import datetime as dt

    from mcp import Client

    from praefect import flow, get_client, settings
    from praefect.cli.mcp import build_server
    from praefect.states import Scheduled

    @flow(name="mcp-later")
    def later() -> int:
        return 1

    updates = {"home": tmp_path, "database_url": None, "api_url": None}
    with settings.temporary_settings(updates, process_wide=True):
        with get_client(sync_client=True) as client:
            when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            run = client.create_flow_run(later, state=Scheduled(scheduled_time=when))

        async def session() -> tuple[list[str], object]:
            async with Client(build_server(allow_actions=True)) as mcp_client:
                names = sorted(t.name for t in (await mcp_client.list_tools()).tools)
                done = await mcp_client.call_tool("cancel_flow_run", {"flow_run_id": str(run.id)})
                return names, done

        names, done = asyncio.run(asyncio.wait_for(session(), 60))
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run.id).state
    assert "cancel_flow_run" in names and "run_deployment" in names
    assert _texts(done)[0]["status"] in ("ACCEPT", "REJECT")  # REJECT: Cancelled at once
    assert state is not None and state.type.value in ("CANCELLING", "CANCELLED")
