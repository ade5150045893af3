"""A PostgreSQL outage under a running server (T3): the server answers 503 with Retry-After
while its database is down, clients keep what they could not deliver and send it when the
database is back, and flows that were running complete. Each test stops and starts a
PostgreSQL cluster of its own (``postgres_cluster``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import running_server

_LOAD = """
import sys
import time

from praefect import flow, task


@task
def step(i: int) -> int:
    time.sleep(0.01)
    return i


@flow
def load(n: int) -> int:
    return sum(step(i) for i in range(n))


flows, tasks = int(sys.argv[1]), int(sys.argv[2])
for _ in range(flows):
    assert load(tasks) == sum(range(tasks))
print("all flows completed", flush=True)
"""


def test_server_answers_503_with_retry_after_while_its_database_is_down(postgres_cluster, cli_env):
    cli_env["PRAEFECT_DATABASE_URL"] = postgres_cluster.url
    with running_server(cli_env) as (server, api):
        assert httpx.post(f"{api}/flows/", json={"name": "before"}).status_code in (200, 201)
        postgres_cluster.stop()
        for method, path, body in (
            ("POST", "/flows/", {"name": "during"}),
            ("POST", "/flow_runs/filter", {}),
            ("POST", "/task_runs/batch", []),
        ):
            response = httpx.request(method, f"{api}{path}", json=body, timeout=30)
            assert response.status_code == 503, (path, response.text)
            assert float(response.headers["retry-after"]) >= 1
            assert "database" in response.json()["detail"]
        postgres_cluster.start()
        deadline = time.monotonic() + 30
        while True:
            response = httpx.post(f"{api}/flows/", json={"name": "after"}, timeout=30)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert response.status_code in (200, 201), response.text
        assert server.poll() is None


def test_a_database_outage_under_load_loses_no_task_run_and_fails_no_flow(
    postgres_cluster, cli_env, tmp_path: Path
):
    flows, tasks, clients = 6, 60, 2
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent(_LOAD))
    cli_env["PRAEFECT_DATABASE_URL"] = postgres_cluster.url
    with running_server(cli_env, log=tmp_path / "server.log") as (_, api):
        env = {**cli_env, "PRAEFECT_API_URL": api}
        env.pop("PRAEFECT_DATABASE_URL")
        # both clients share one home, so one spool directory, as two scripts of a user do
        processes = [
            subprocess.Popen(
                [sys.executable, str(script), str(flows), str(tasks)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(clients)
        ]
        outputs: list[tuple[str, str]] = []

        def collect() -> None:
            outputs.extend(p.communicate(timeout=600) for p in processes)

        reader = threading.Thread(target=collect)
        reader.start()
        _wait_for_task_runs(postgres_cluster.url, 60)
        postgres_cluster.stop()
        time.sleep(8)
        postgres_cluster.start()
        reader.join()
        for process, (out, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err[-3000:]
            assert "all flows completed" in out

        deliver = subprocess.run(
            [sys.executable, "-m", "praefect.cli", "spool", "deliver", "--timeout", "60"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # whatever a client left in the spool when it exited (it said so) goes now
        assert deliver.returncode == 0, deliver.stdout + deliver.stderr

    engine = sa.create_engine(postgres_cluster.url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        runs = conn.exec_driver_sql(
            "SELECT state_type, count(*) FROM flow_run GROUP BY state_type"
        ).all()
        task_runs = conn.exec_driver_sql(
            "SELECT state_type, count(*) FROM task_run GROUP BY state_type"
        ).all()
        states = conn.exec_driver_sql("SELECT count(*) FROM task_run_state").scalar()
    engine.dispose()
    assert dict(runs) == {"COMPLETED": flows * clients}
    assert dict(task_runs) == {"COMPLETED": flows * clients * tasks}
    assert states == 3 * flows * clients * tasks  # Pending, Running, Completed: none lost


def _wait_for_task_runs(url: str, count: int) -> None:
    """Wait until ``count`` task runs are stored (the load is under way)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    if conn.exec_driver_sql("SELECT count(*) FROM task_run").scalar() >= count:
                        return
            except sa.exc.ProgrammingError:
                pass  # the tables are not made yet
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError(f"fewer than {count} task runs after 120 s")
