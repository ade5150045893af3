"""A task run may only name a flow run that exists: both write paths (``POST /api/task_runs/``,
``POST /api/task_runs/batch``, fast and general) on both databases answer 404 naming the id and
write nothing; task runs outside any flow run are accepted."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import httpx

from praefect import database
from praefect.database import tables
from tests.conftest import running_server


def _count(database_url: str, table: Any) -> int:
    engine = database.get_engine(database_url)
    return len(database.read(engine, lambda conn: conn.execute(table.select()).all()))


def _item(flow_run_id: str | None, state: str = "PENDING") -> dict[str, Any]:
    row = {"id": str(uuid.uuid4()), "name": "t", "task_key": "t", "flow_run_id": flow_run_id}
    return {"row": row, "state": {"type": state, "id": str(uuid.uuid4())}}


def test_a_task_run_naming_a_missing_flow_run_is_refused_with_404(client, database_url):
    missing = str(uuid.uuid4())
    body = {"name": "t", "task_key": "t", "flow_run_id": missing, "dynamic_key": "0"}
    response = client.post("/api/task_runs/", json=body)
    assert response.status_code == 404
    assert missing in response.json()["detail"]
    assert _count(database_url, tables.task_run) == 0


def test_a_batch_naming_a_missing_flow_run_is_refused_whole(client, database_url, new_run):
    run = new_run()
    missing = str(uuid.uuid4())
    for batch in (
        [_item(missing)],
        [_item(run["id"]), _item(missing, "RUNNING"), _item(run["id"])],
    ):
        response = client.post("/api/task_runs/batch", json=batch)
        assert response.status_code == 404, response.text
        assert missing in response.json()["detail"]
    assert _count(database_url, tables.task_run) == 0
    assert _count(database_url, tables.task_run_state) == 0


def test_task_runs_of_an_existing_flow_run_or_of_none_are_accepted(client, new_run):
    run = new_run()
    response = client.post("/api/task_runs/batch", json=[_item(run["id"]), _item(None)])
    assert response.status_code == 201
    body = {"name": "background", "task_key": "b", "dynamic_key": "0"}
    assert client.post("/api/task_runs/", json=body).status_code == 201
    assert client.post("/api/task_runs/count", json={}).json() == 3


def test_a_flow_on_a_real_server_records_every_task_run(tmp_path: Path):
    env = {**os.environ, "PRAEFECT_HOME": str(tmp_path)}
    env.pop("PRAEFECT_API_URL", None)
    with running_server(env) as (_, api):
        script = textwrap.dedent(
            """
            import praefect as prefect

            @prefect.task
            def add(x):
                return x + 1

            @prefect.flow
            def numbers():
                return sum(add.map(range(200)).result())

            @prefect.flow
            def outer():
                return numbers() + numbers()

            assert outer() == 2 * sum(range(1, 201))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={**env, "PRAEFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "not found" not in done.stderr
        count = httpx.post(f"{api}/task_runs/count", json={}, timeout=10).json()
        # 400 mapped tasks and the two subflow calls' task runs of ``outer``
        assert count >= 400
