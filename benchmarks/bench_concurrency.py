"""Measure concurrency slots: uncontended ``with concurrency(...)`` (acquire + release), embedded
and through a real server, and 8 threads contending for a limit of 2.

Run from the repository root::

    .venv/bin/python benchmarks/bench_concurrency.py [--n 500] [--threads 8] [--limit 2]
        [--rounds 10] [--hold 0.01]

- ``embedded``: ``--n`` times ``with concurrency("bench")`` on a limit of 1 in the embedded
  store (SQLite in a fresh ``PRAEFECT_HOME``): microseconds per acquire + release, wall and
  CPU (the CPU figure is the one to trust on a loaded machine).
- ``server``: the same through ``praefect server start`` (a subprocess on a free port, its own
  SQLite), so each acquire and release is an HTTP request.
- ``contended``: ``--threads`` threads, each ``--rounds`` times holding a slot of a limit of
  ``--limit`` for ``--hold`` seconds (embedded). Inside each hold the holder counts the limit's
  live leases (``read_concurrency_leases``): the most seen must never pass the limit. Also the
  throughput against the ideal (``threads * rounds * hold / limit`` seconds).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _uncontended(n: int, name: str) -> tuple[float, float]:
    from praefect import get_client
    from praefect.concurrency.sync import concurrency

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit({"name": name, "limit": 1})
    for _ in range(20):  # warm up: imports, connections, the renewer thread
        with concurrency(name):
            pass
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        with concurrency(name):
            pass
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall / n * 1e6, cpu / n * 1e6


def _contended(threads: int, limit: int, rounds: int, hold: float) -> dict[str, float]:
    from praefect import client as _client
    from praefect import get_client
    from praefect.concurrency.sync import concurrency

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit({"name": "contended", "limit": limit})
    door = _client.get_orchestration_client()
    most = [0]
    lock = threading.Lock()

    def work() -> None:
        for _ in range(rounds):
            with concurrency("contended", timeout_seconds=120):
                held = sum(x["slots"] for x in door.read_concurrency_leases("contended") or [])
                with lock:
                    most[0] = max(most[0], held)
                time.sleep(hold)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    ideal = threads * rounds * hold / limit
    return {"most_holders": most[0], "elapsed": elapsed, "ideal": ideal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--limit", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--hold", type=float, default=0.01)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    os.environ["PRAEFECT_HOME"] = str(home)
    os.environ.pop("PRAEFECT_API_URL", None)
    from praefect import settings

    wall, cpu = _uncontended(args.n, "bench")
    print(f"embedded  acquire+release: {wall:8.1f} us wall, {cpu:8.1f} us CPU  (n={args.n})")

    result = _contended(args.threads, args.limit, args.rounds, args.hold)
    print(
        f"contended {args.threads} threads, limit {args.limit}: most holders seen in the"
        f" leases {result['most_holders']} (never above {args.limit}: "
        f"{'yes' if result['most_holders'] <= args.limit else 'NO'}); {result['elapsed']:.3f} s"
        f" for an ideal {result['ideal']:.3f} s ({result['ideal'] / result['elapsed']:.0%} of"
        " ideal throughput)"
    )

    port = _free_port()
    server_home = Path(tempfile.mkdtemp(prefix="bench-concurrency-server-"))
    env = {**os.environ, "PRAEFECT_HOME": str(server_home)}
    command = [sys.executable, "-m", "praefect.cli", "server", "start", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        import httpx

        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with settings.temporary_settings({"api_url": api}, process_wide=True):
            wall, cpu = _uncontended(max(args.n // 5, 20), "bench-server")
        print(
            f"server    acquire+release: {wall:8.1f} us wall, {cpu:8.1f} us client CPU"
            f"  (n={max(args.n // 5, 20)})"
        )
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
