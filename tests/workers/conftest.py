"""Work pools with deployments' runs waiting in them, for the worker and runner tests (made
through the service layer, as the API would)."""

from __future__ import annotations

import datetime as _dt
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from praefect import database, orchestration
from praefect.schemas.states import State, StateType, now_utc

FLOWS = textwrap.dedent(
    """
    import os
    import signal
    import time
    from pathlib import Path

    from praefect import flow, runtime


    @flow
    def report(out: str, greeting: str = "hi"):
        Path(out).write_text(
            f"{greeting}|{os.environ.get('GREETING')}|{os.getcwd()}|{runtime.flow_run.id}"
        )
        return greeting


    @flow
    def hang(pid_file: str):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # hung for good: only SIGKILL stops it
        Path(pid_file).write_text(str(os.getpid()))
        while True:
            time.sleep(0.05)


    @flow(retries=1)
    def dies_once(pid_file: str):
        if runtime.flow_run.run_count == 1:
            Path(pid_file).write_text(str(os.getpid()))
            time.sleep(60)
        return "second attempt"


    @flow
    def quick(n: int = 0):
        return n


    @flow
    def imports_extra(out: str):
        import extra_module  # found only through the job's PYTHONPATH

        Path(out).write_text(extra_module.VALUE)
    """
)


@pytest.fixture
def flows_file(tmp_path: Path) -> Path:
    path = tmp_path / "worker_flows.py"
    path.write_text(FLOWS)
    return path


@pytest.fixture
def engine(use_database: str) -> Any:
    return database.get_engine(use_database)


@pytest.fixture
def new_pool(engine) -> Callable[..., dict[str, Any]]:
    def create(name: str = "local", **values: Any) -> dict[str, Any]:
        return database.write(
            engine,
            lambda conn: orchestration.work_pools.create_pool(conn, {"name": name, **values}),
        )

    return create


@pytest.fixture
def new_deployment_run(engine, flows_file: Path) -> Callable[..., uuid.UUID]:
    """A Scheduled run (due now) of the deployment ``<flow>-deployment`` of ``flow`` (created
    on first use, in ``pool``; ``deployment_job_variables`` then), the way
    ``POST /deployments/{id}/create_flow_run`` makes one."""
    deployments: dict[str, uuid.UUID] = {}

    def create(
        pool: dict[str, Any] | None,
        flow: str,
        parameters: dict[str, Any] | None = None,
        job_variables: dict[str, Any] | None = None,
        empirical_policy: dict[str, Any] | None = None,
        scheduled_time: _dt.datetime | None = None,
        deployment_job_variables: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        def write(conn):  # type: ignore[no-untyped-def]
            if flow not in deployments:
                deployment = orchestration.deployments.create(
                    conn,
                    {
                        "name": f"{flow}-deployment",
                        "flow_id": orchestration.flows.ensure(conn, flow.replace("_", "-")),
                        "entrypoint": f"{flows_file}:{flow}",
                        "work_pool_name": pool["name"] if pool else None,
                        "job_variables": deployment_job_variables or {},
                        "enforce_parameter_schema": False,
                    },
                )
                deployments[flow] = deployment["id"]
            state = State(
                StateType.SCHEDULED,
                state_details={"scheduled_time": scheduled_time or now_utc()},
            )
            run = {"parameters": parameters or {}, "state": state, "job_variables": job_variables}
            if empirical_policy:
                run["empirical_policy"] = empirical_policy
            return orchestration.deployments.create_flow_run(conn, deployments[flow], run)["id"]

        return database.write(engine, write)

    return create


@pytest.fixture
def read_run(engine) -> Callable[[uuid.UUID], dict[str, Any]]:
    return lambda run_id: database.read(
        engine, lambda conn: orchestration.flow_runs.read(conn, run_id)
    )


@pytest.fixture
def wait_for(read_run) -> Callable[..., dict[str, Any]]:
    """Poll a run until ``check(run)`` holds (AssertionError after ``timeout`` seconds)."""

    def wait(run_id: uuid.UUID, check: Callable[[dict], bool], timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = read_run(run_id)
            if check(run):
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"flow run stayed {run['state_name']}: {run}")
            time.sleep(0.05)

    return wait
