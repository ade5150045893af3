"""Events sent to a server that is away are kept in the spool, as task runs are, and delivered
once it is back: acknowledged, never fire-and-forget."""

from __future__ import annotations

import time

import httpx

from praefect.client.http import HttpClient
from praefect.events import Event
from tests.conftest import free_port
from tests.faults.test_spool_delivery import _server


def test_events_emitted_while_the_server_is_away_are_spooled_then_delivered(cli_env, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    client = HttpClient(api, home=tmp_path / "client-home", retry_seconds=0.5)
    client.writer.send_budget = 0.2
    events = [
        Event(event="acme.order.created", resource={"prefect.resource.id": f"acme.order.{i}"})
        for i in range(3)
    ]
    try:
        client.enqueue_events(events)
        client.writer.flush()
        assert client.spool.pending_records() == 3  # nothing listens: kept on disk
        cli_env["PRAEFECT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.db'}"
        with _server(cli_env, port):
            deadline = time.monotonic() + 30
            while not client.deliverer.deliver_now(2.0):  # what is spooled goes, oldest first
                assert time.monotonic() < deadline, "the spooled events were not delivered"
            found = httpx.post(
                f"{api}/events/filter",
                json={"filter": {"event": {"name": ["acme.order.created"]}}},
                timeout=10,
            ).json()
    finally:
        client.close()
    assert sorted(e["id"] for e in found["events"]) == sorted(str(e.id) for e in events)
