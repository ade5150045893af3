"""Measure event ingest through ``ws /api/events/in`` on SQLite: events per second, none lost.

Run from the repository root::

    .venv/bin/python benchmarks/bench_events.py [--n 100000] [--connections 1] [--port 4391]

A ``praefect server start --no-services`` runs on a fresh home (SQLite). Each of
``--connections`` WebSocket clients (Prefect's protocol: the ``prefect`` subprotocol and an
auth message) sends its share of ``--n`` events, serialized beforehand, as fast as the socket
takes them; then the benchmark counts the stored events through ``POST /api/events/count-by/
event`` until all are there. It prints the send rate, the ingest rate (all ``--n`` stored, from
the first send), how many were lost, and the server's CPU seconds per 1,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRAEFECT = os.path.join(ROOT, ".venv", "bin", "praefect")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _events(n: int, marker: str) -> list[str]:
    return [
        json.dumps(
            {
                "id": str(uuid.uuid4()),
                "occurred": "2030-01-01T00:00:00+00:00",
                "event": f"bench.{marker}.tick",
                "resource": {"prefect.resource.id": f"bench.item.{i % 100}"},
                "related": [
                    {"prefect.resource.id": "bench.source.1", "prefect.resource.role": "source"}
                ],
                "payload": {"i": i},
            }
        )
        for i in range(n)
    ]


async def _send(url: str, messages: list[str]) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, subprotocols=["prefect"], max_queue=None) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "auth", "token": None}))
        assert json.loads(await socket.recv())["type"] == "auth_success"
        for message in messages:
            await socket.send(message)
        pong = await socket.ping()
        await pong  # every message before the ping has reached the server


def _stored(api: str, name: str) -> int:
    body = {"filter": {"event": {"name": [name]}}}
    counts = httpx.post(f"{api}/events/count-by/event", json=body, timeout=30).json()
    return sum(row["count"] for row in counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--port", type=int, default=4391)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="praefect-bench-events-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAEFECT_", "PREFECT_"))}
    env["PRAEFECT_HOME"] = home
    server = subprocess.Popen(
        [PRAEFECT, "server", "start", "--port", str(args.port), "--no-services"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{args.port}/api"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        marker = uuid.uuid4().hex[:8]
        name = f"bench.{marker}.tick"
        messages = _events(args.n, marker)
        share = -(-args.n // args.connections)
        parts = [messages[i : i + share] for i in range(0, args.n, share)]
        url = f"ws://127.0.0.1:{args.port}/api/events/in"
        cpu = _cpu(server.pid)
        started = time.perf_counter()

        async def send_all() -> None:
            await asyncio.gather(*(_send(url, part) for part in parts))

        asyncio.run(send_all())
        sent = time.perf_counter() - started
        stored = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored = _stored(api, name)
            if stored >= args.n:
                break
            time.sleep(0.05)
        total = time.perf_counter() - started
        server_cpu = _cpu(server.pid) - cpu
        print(
            f"{args.n} events over {args.connections} connection(s): sent in {sent:.2f} s "
            f"({args.n / sent:,.0f}/s); all stored after {total:.2f} s "
            f"({stored / total:,.0f} events/s); lost: {args.n - stored}; "
            f"server CPU {server_cpu / args.n * 1000 * 1000:.1f} ms per 1,000 events"
        )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
