"""T2: ``kill -9`` of the API server while clients change run states, then a restart.

Every transition the server acknowledged is in the run's history afterwards, every history is a
valid path through the state machine, and the clients' runs all finish once the server is back.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from praefect.cli import _verify_checks
from praefect.schemas.states import State
from tests.conftest import free_port, running_server

RUNS_PER_CLIENT = 12
CLIENTS = 4
PATH = ("PENDING", "RUNNING", "COMPLETED")


class _Client(threading.Thread):
    """Drives its runs through Pending, Running, Completed over the REST API, retrying each
    proposal until the server answers; records the id of every state the server accepted."""

    def __init__(self, api: str, flow_id: str, deadline: float) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.flow_id = flow_id
        self.deadline = deadline
        self.acknowledged: dict[str, list[str]] = {}
        self.refused: list[str] = []
        self.errors = 0

    def _post(self, http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        while time.monotonic() < self.deadline:
            try:
                response = http.post(f"{self.api}{path}", json=body, timeout=5)
            except httpx.HTTPError:
                self.errors += 1  # the server is down: try again, as a client would
                time.sleep(0.05)
                continue
            if response.status_code >= 500:
                self.errors += 1
                time.sleep(0.05)
                continue
            response.raise_for_status()
            return response.json()
        raise TimeoutError(f"the server did not come back for {path}")

    def run(self) -> None:
        with httpx.Client() as http:
            for _ in range(RUNS_PER_CLIENT):
                run_id = str(uuid.uuid4())
                created = self._post(
                    http,
                    "/flow_runs/",
                    {"id": run_id, "flow_id": self.flow_id, "state": {"type": "SCHEDULED"}},
                )
                run_id = created["id"]
                self.acknowledged[run_id] = [created["state"]["id"]]
                for kind in PATH:
                    answer = self._post(
                        http, f"/flow_runs/{run_id}/set_state", {"state": {"type": kind}}
                    )
                    if answer["status"] == "ACCEPT":
                        self.acknowledged[run_id].append(answer["state"]["id"])
                    else:
                        self.refused.append(f"{run_id} {kind}: {answer}")


def test_transitions_the_server_acknowledged_survive_its_kill_9(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "PRAEFECT_DATABASE_URL": database_url}
    port = free_port()
    with running_server(env, "--no-services", port=port, log=tmp_path / "first.log") as (
        server,
        api,
    ):
        flow_id = httpx.post(f"{api}/flows/", json={"name": "t2"}, timeout=30).json()["id"]
        clients = [_Client(api, flow_id, time.monotonic() + 90) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        while sum(len(c.acknowledged) for c in clients) < CLIENTS * RUNS_PER_CLIENT // 3:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)  # mid-transition: the clients are all writing
        server.wait()
    with running_server(env, "--no-services", port=port, log=tmp_path / "second.log") as (_, api):
        for client in clients:
            client.join(90)
        assert not any(client.is_alive() for client in clients)
        assert sum(client.errors for client in clients) > 0  # the kill was felt
        missing, invalid, unfinished = [], [], []
        http = httpx.Client(base_url=api, timeout=30)
        for client in clients:
            for run_id, state_ids in client.acknowledged.items():
                history = http.get("/flow_run_states/", params={"flow_run_id": run_id}).json()
                stored = {state["id"] for state in history}
                missing += [f"{run_id}: {s}" for s in state_ids if s not in stored]
                step = _verify_checks.invalid_step(
                    [State(state["type"], name=state["name"]) for state in history]
                )
                if step is not None:
                    invalid.append(f"{run_id}: {step}")
                run = http.get(f"/flow_runs/{run_id}").json()
                if run["state"]["type"] != "COMPLETED":
                    unfinished.append(f"{run_id}: {run['state']['name']}")
        http.close()
    assert missing == []
    assert invalid == []
    assert unfinished == []
    assert sum(len(c.acknowledged) for c in clients) == CLIENTS * RUNS_PER_CLIENT
