"""``orchestration.deployments`` under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

from praefect import database, orchestration


def test_concurrent_runs_with_one_idempotency_key_make_one_run(engine):
    def setup(conn):
        flow_id = orchestration.flows.ensure(conn, "etl")
        return orchestration.deployments.create(conn, {"name": "d", "flow_id": flow_id})["id"]

    deployment_id = database.write(engine, setup)
    barrier = threading.Barrier(6)
    made: list[uuid.UUID] = []

    def create() -> None:
        barrier.wait()
        run = database.write(
            engine,
            lambda conn: orchestration.deployments.create_flow_run(
                conn, deployment_id, {"idempotency_key": "once"}
            ),
        )
        made.append(run["id"])

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(made) == 6 and len(set(made)) == 1
    assert database.read(engine, lambda conn: orchestration.flow_runs.count(conn)) == 1


def test_recreating_a_deployment_replaces_its_schedules_and_keeps_its_id(engine):
    def scenario(conn):
        flow_id = orchestration.flows.ensure(conn, "etl")
        first = orchestration.deployments.create(
            conn,
            {"name": "d", "flow_id": flow_id, "schedules": [{"schedule": {"cron": "0 * * * *"}}]},
        )
        second = orchestration.deployments.create(
            conn,
            {"name": "d", "flow_id": flow_id, "schedules": [{"schedule": {"interval": 60}}]},
        )
        return first, second

    first, second = database.write(engine, scenario)
    assert first["id"] == second["id"]
    assert [s["schedule"].get("interval") for s in second["schedules"]] == [60.0]
