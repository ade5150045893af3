"""Reaction time of automations: from an event's arrival at the server to the flow run its
``RunDeployment`` action creates, with many automations defined.

Run: ``.venv/bin/python benchmarks/bench_automations.py [--automations 1000] [--events 200]``.

A real ``praefect server start`` (a subprocess, SQLite in a temporary directory) gets
``--automations`` automations: one expects ``acme.go`` and runs a deployment with the event's
resource id as a parameter; the others expect other events (a third of them by a ``*``
prefix) and do nothing. Then ``--events`` events ``acme.go`` are sent one at a time through
``POST /api/events``, each waiting for its run. Two figures per event:

- ``server``: the flow run's ``created`` minus the event's ``received`` (both stamped by the
  server process: the time the trigger, the action queue and the action take);
- ``client``: from sending the event to seeing its run in the database (polled every 1 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import Server  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--automations", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="bench-automations-")
    db = Path(home) / "praefect.db"
    env = {"PRAEFECT_DATABASE_URL": f"sqlite:///{db}", "PRAEFECT_LOGGING_LEVEL": "WARNING"}
    python = Path(sys.executable)
    server = Server(
        f"{python.parent / 'praefect'} server start --port {{port}}", _free_port(), home, env
    )
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=30) as api:
            flow_id = api.post("/flows/", json={"name": "reacts"}).json()["id"]
            deployment = api.post(
                "/deployments/", json={"name": "on-go", "flow_id": flow_id}
            ).json()
            target = {
                "name": "run-on-go",
                "trigger": {"expect": ["acme.go"], "match": {"prefect.resource.id": "acme.*"}},
                "actions": [
                    {
                        "type": "run-deployment",
                        "deployment_id": deployment["id"],
                        "parameters": {"item": "{{ event.resource.id }}"},
                    }
                ],
            }
            api.post("/automations/", json=target).raise_for_status()
            for i in range(args.automations - 1):
                expect = f"acme.noise.{i}" if i % 3 else f"acme.other{i}.*"
                body = {
                    "name": f"noise-{i}",
                    "trigger": {"expect": [expect], "threshold": 2, "within": 60},
                    "actions": [{"type": "do-nothing"}],
                }
                api.post("/automations/", json=body).raise_for_status()
            count = api.post("/automations/count", json={}).json()

            reader = sqlite3.connect(db, timeout=30)
            query = "SELECT created FROM flow_run WHERE deployment_id = ? AND parameters LIKE ?"
            server_ms: list[float] = []
            client_ms: list[float] = []
            for n in range(args.events):
                item = f"acme.item.{uuid.uuid4().hex[:12]}"
                event_id = str(uuid.uuid4())
                body = [
                    {"id": event_id, "event": "acme.go", "resource": {"prefect.resource.id": item}}
                ]
                sent = time.perf_counter()
                api.post("/events", json=body).raise_for_status()
                while True:
                    row = reader.execute(query, (deployment["id"], f"%{item}%")).fetchone()
                    if row is not None:
                        break
                    time.sleep(0.001)
                client_ms.append((time.perf_counter() - sent) * 1000)
                received = reader.execute(
                    "SELECT received FROM event WHERE id = ?", (event_id,)
                ).fetchone()[0]
                server_ms.append(_gap_ms(received, row[0]))
                if n % 50 == 0:
                    time.sleep(0.05)
    finally:
        server.stop()
    report = {
        "automations": count,
        "events": args.events,
        "server_ms": _summary(server_ms),
        "client_ms": _summary(client_ms),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(report))


def _gap_ms(start: str, end: str) -> float:
    from datetime import datetime

    parse = datetime.fromisoformat
    return (parse(str(end)) - parse(str(start))).total_seconds() * 1000


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p90": round(_percentile(values, 0.9), 1),
        "p99": round(_percentile(values, 0.99), 1),
        "max": round(max(values), 1),
    }


if __name__ == "__main__":
    main()
