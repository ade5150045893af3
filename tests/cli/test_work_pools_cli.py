"""``praefect work-pool`` and ``praefect work-queue`` (in-process, many small checks),
``praefect worker start`` and ``praefect flow-run execute`` (in subprocesses, as a user runs
them)."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

from praefect import database, orchestration
from praefect.settings import get_current_settings
from tests.cli.conftest import run_praefect


def test_work_pool_commands(invoke_here):
    made = invoke_here("work-pool", "create", "my-pool", "--concurrency-limit", "3")
    assert made.code == 0, made.output
    assert "Created work pool 'my-pool' of type 'process'" in made.stdout
    again = invoke_here("work-pool", "create", "my-pool")
    assert again.code == 1 and "--overwrite" in again.stderr
    listed = invoke_here("work-pool", "ls")
    assert "my-pool" in listed.stdout and "process" in listed.stdout
    assert invoke_here("work-pool", "pause", "my-pool").code == 0
    inspected = invoke_here("work-pool", "inspect", "my-pool", "-o", "json")
    data = inspected.json()
    assert (data["status"], data["concurrency_limit"]) == ("PAUSED", 3)
    assert [q["name"] for q in data["work_queues"]] == ["default"]
    assert invoke_here("work-pool", "resume", "my-pool").code == 0
    assert invoke_here("work-pool", "create", "open-pool").code == 0
    words = invoke_here("work-pool", "inspect", "open-pool").stdout
    assert "Paused             no" in words and "Concurrency limit  unlimited" in words
    assert "None" not in words and "False" not in words
    assert "unlimited" in invoke_here("work-pool", "ls").stdout
    deleted = invoke_here("work-pool", "delete", "my-pool", "--yes")
    assert deleted.code == 0, deleted.output
    missing = invoke_here("work-pool", "inspect", "my-pool")
    assert missing.code == 1 and "Work pool 'my-pool' not found" in missing.stderr


def test_work_queue_commands(invoke_here):
    _pool()
    made = invoke_here(
        "work-queue", "create", "urgent", "--pool", "local", "--priority", "1", "--limit", "2"
    )
    assert made.code == 0, made.output
    assert invoke_here("work-queue", "pause", "urgent", "--pool", "local").code == 0
    queues = invoke_here("work-queue", "ls", "--pool", "local", "-o", "json")
    by_name = {q["name"]: q for q in queues.json()}
    assert by_name["urgent"]["status"] == "PAUSED" and by_name["urgent"]["concurrency_limit"] == 2
    refused = invoke_here("work-queue", "delete", "default", "--pool", "local", "-y")
    assert refused.code == 1 and "default queue" in refused.stderr
    gone = invoke_here("work-queue", "delete", "urgent", "--pool", "local", "-y")
    assert gone.code == 0, gone.output


def _pool() -> dict:
    engine = database.get_engine(get_current_settings().resolved_database_url)
    return database.write(
        engine, lambda conn: orchestration.work_pools.create_pool(conn, {"name": "local"})
    )


def _run_of(flow_file: Path, pool: dict, out: Path) -> uuid.UUID:
    engine = database.get_engine(get_current_settings().resolved_database_url)

    def create(conn):  # type: ignore[no-untyped-def]
        deployment = orchestration.deployments.create(
            conn,
            {
                "name": "cli",
                "flow_id": orchestration.flows.ensure(conn, "write-it"),
                "entrypoint": f"{flow_file}:write_it",
                "work_pool_name": pool["name"],
                "enforce_parameter_schema": False,
            },
        )
        run = {"parameters": {"out": str(out)}}
        return orchestration.deployments.create_flow_run(conn, deployment["id"], run)["id"]

    return database.write(engine, create)


FLOW = textwrap.dedent(
    """
    from pathlib import Path
    from praefect import flow

    @flow
    def write_it(out: str):
        Path(out).write_text("ran")
    """
)


def test_worker_start_runs_the_pools_runs_and_flow_run_execute_runs_one_by_id(
    praefect_home: Path, tmp_path: Path
):
    flow_file = tmp_path / "cli_flow.py"
    flow_file.write_text(FLOW)
    pool = _pool()
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    run_id = _run_of(flow_file, pool, first)
    started = run_praefect("worker", "start", "--pool", "local", "--run-once", home=praefect_home)
    assert started.code == 0, started.output
    assert "polling work pool 'local'" in started.stdout
    assert first.read_text() == "ran"

    other = _run_of(flow_file, pool, second)
    executed = run_praefect("flow-run", "execute", str(other), home=praefect_home)
    assert executed.code == 0, executed.output
    assert second.read_text() == "ran"
    again = run_praefect("flow-run", "execute", str(run_id), home=praefect_home)
    assert again.code == 1 and "already Completed" in again.stderr
    bad_type = run_praefect(
        "worker", "start", "--pool", "local", "--type", "k8s", home=praefect_home
    )
    assert bad_type.code == 1 and "'k8s'" in bad_type.stderr
    assert "does not exist" not in started.stderr  # the pool was there

    made = run_praefect("worker", "start", "--pool", "fresh", "--run-once", home=praefect_home)
    assert made.code == 0, made.output
    assert (
        "Work pool 'fresh' does not exist: creating it (type 'process'). "
        "Give --no-create-pool-if-not-found to refuse instead."
    ) in made.stderr
