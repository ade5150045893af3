"""Racing clients creating one flow run: every client gets the one run, none an error.

A real ``praefect server start`` on each database; many clients at once send the same create
(the same ``id``, or the same flow and ``idempotency_key``), as retries after a timeout do.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from tests.conftest import running_server

CLIENTS = 16
ROUNDS = 4


def _race(api: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """Post each body from its own client at the same moment."""
    clients = [httpx.Client(base_url=api, timeout=30) for _ in bodies]
    for client in clients:  # connect first, so the creates themselves start together
        client.get("/health")
    start = threading.Barrier(len(bodies))
    answers: list[httpx.Response] = [None] * len(bodies)  # type: ignore[list-item]

    def post(index: int) -> None:
        start.wait()
        answers[index] = clients[index].post("/flow_runs/", json=bodies[index])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return answers


def test_concurrent_creates_of_one_flow_run_all_get_that_run(
    database_url: str, cli_env: dict[str, str]
) -> None:
    cli_env["PRAEFECT_DATABASE_URL"] = database_url
    with running_server(cli_env, "--no-services") as (_, api):
        flow_id = httpx.post(f"{api}/flows/", json={"name": "raced"}).json()["id"]
        for round_ in range(ROUNDS):
            if round_ % 2 == 0:  # the same id
                bodies = [{"flow_id": flow_id, "id": str(uuid.uuid4())}] * CLIENTS
            else:  # the same flow and idempotency key, no id
                key = f"key-{round_}"
                bodies = [{"flow_id": flow_id, "idempotency_key": key} for _ in range(CLIENTS)]
            answers = _race(api, bodies)
            statuses = sorted(answer.status_code for answer in answers)
            refused = [answer.text[:200] for answer in answers if answer.status_code != 200]
            assert statuses == [200] * (CLIENTS - 1) + [201], refused
            assert len({answer.json()["id"] for answer in answers}) == 1
            assert httpx.post(f"{api}/flow_runs/count", json={}).json() == round_ + 1
