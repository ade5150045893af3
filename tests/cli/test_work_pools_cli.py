"""``praefect work-pool``, ``praefect work-queue``, ``praefect worker start`` and
``praefect flow-run execute``, run as a user would, in subprocesses."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

from praefect import database, orchestration
from praefect.settings import get_current_settings
from tests.cli.conftest import run_praefect


def test_work_pool_commands(praefect_home: Path):
    made = run_praefect(
        "work-pool", "create", "my-pool", "--concurrency-limit", "3", home=praefect_home
    )
    assert made.code == 0, made.output
    assert "Created work pool 'my-pool' of type 'process'" in made.stdout
    again = run_praefect("work-pool", "create", "my-pool", home=praefect_home)
    assert again.code == 1 and "--overwrite" in again.stderr
    listed = run_praefect("work-pool", "ls", home=praefect_home)
    assert "my-pool" in listed.stdout and "process" in listed.stdout
    assert run_praefect("work-pool", "pause", "my-pool", home=praefect_home).code == 0
    inspected = run_praefect("work-pool", "inspect", "my-pool", "-o", "json", home=praefect_home)
    data = inspected.json()
    assert (data["status"], data["concurrency_limit"]) == ("PAUSED", 3)
    assert [q["name"] for q in data["work_queues"]] == ["default"]
    assert run_praefect("work-pool", "resume", "my-pool", home=praefect_home).code == 0
    deleted = run_praefect("work-pool", "delete", "my-pool", "--yes", home=praefect_home)
    assert deleted.code == 0, deleted.output
    missing = run_praefect("work-pool", "inspect", "my-pool", home=praefect_home)
    assert missing.code == 1 and "Work pool 'my-pool' not found" in missing.stderr


def test_work_queue_commands(praefect_home: Path):
    _pool()
    made = run_praefect(
        "work-queue", "create", "urgent", "--pool", "local", "--priority", "1", "--limit", "2",
        home=praefect_home,
    )  # fmt: skip
    assert made.code == 0, made.output
    assert (
        run_praefect("work-queue", "pause", "urgent", "--pool", "local", home=praefect_home).code
        == 0
    )
    queues = run_praefect("work-queue", "ls", "--pool", "local", "-o", "json", home=praefect_home)
    by_name = {q["name"]: q for q in queues.json()}
    assert by_name["urgent"]["status"] == "PAUSED" and by_name["urgent"]["concurrency_limit"] == 2
    refused = run_praefect(
        "work-queue", "delete", "default", "--pool", "local", "-y", home=praefect_home
    )
    assert refused.code == 1 and "default queue" in refused.stderr
    gone = run_praefect(
        "work-queue", "delete", "urgent", "--pool", "local", "-y", home=praefect_home
    )
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
