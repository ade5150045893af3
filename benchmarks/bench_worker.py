"""Measure submit-to-running latency: how long after ``POST /api/deployments/{id}/create_flow_run``
an idle process worker has the run in Running, and until it is Completed.

Run from the repository root::

    .venv/bin/python benchmarks/bench_worker.py [--runs 30] [--port 4391] [--query-seconds 0.5]
        [--gap 1.0]

It starts ``praefect server start`` on a fresh home directory (SQLite), creates a ``process``
work pool and a deployment of a trivial flow, starts ``praefect worker start --pool bench``
pointed at the server, lets two warm-up runs through, then submits ``--runs`` runs one after
the other, each ``--gap`` seconds after the previous one finished, so the worker is idle (its
warm spare process ready) every time; ``--gap 0`` measures back-to-back runs. For each
run: submit-to-Running is the run's ``start_time`` (the Running state's timestamp, written by
the flow's process) minus the moment before the create request was sent; submit-to-Completed
is its ``end_time`` minus the same moment. Prints p50, p90, p99 and max of both, in seconds, and
the same as JSON on the last line.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRAEFECT = os.path.join(ROOT, ".venv", "bin", "praefect")

FLOW = """
from praefect import flow


@flow
def bench_flow(n: int = 0) -> int:
    return n
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p90": round(_percentile(values, 90), 3),
        "p99": round(_percentile(values, 99), 3),
        "max": round(max(values), 3),
    }


def _wait_healthy(api: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def _time(value: str) -> float:
    parsed = _dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.timestamp()


def run(runs: int, port: int, query_seconds: float, gap: float = 1.0) -> dict[str, object]:
    home = tempfile.mkdtemp(prefix="praefect-bench-worker-")
    env = {
        **os.environ,
        "PRAEFECT_HOME": home,
        "PRAEFECT_WORKER_QUERY_SECONDS": str(query_seconds),
        "PRAEFECT_LOGGING_CONSOLE": "false",
    }
    for name in ("PRAEFECT_API_URL", "PRAEFECT_DATABASE_URL"):
        env.pop(name, None)
    api = f"http://127.0.0.1:{port}/api"
    flow_file = os.path.join(home, "bench_flow.py")
    with open(flow_file, "w") as fh:
        fh.write(FLOW)
    server = subprocess.Popen(
        [PRAEFECT, "server", "start", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = None
    try:
        _wait_healthy(api)
        http = httpx.Client(base_url=api, timeout=30)
        http.post("/work_pools/", json={"name": "bench", "type": "process"}).raise_for_status()
        flow_id = http.post("/flows/", json={"name": "bench-flow"}).json()["id"]
        deployment = http.post(
            "/deployments/",
            json={
                "name": "latency",
                "flow_id": flow_id,
                "work_pool_name": "bench",
                "entrypoint": f"{flow_file}:bench_flow",
                "path": home,
            },
        )
        deployment.raise_for_status()
        deployment_id = deployment.json()["id"]
        worker = subprocess.Popen(
            [PRAEFECT, "worker", "start", "--pool", "bench", "--name", "bench-worker"],
            env={**env, "PRAEFECT_API_URL": api},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        to_running: list[float] = []
        to_completed: list[float] = []
        for i in range(runs + 2):
            time.sleep(gap)
            submitted = time.time()
            created = http.post(
                f"/deployments/{deployment_id}/create_flow_run", json={"parameters": {"n": i}}
            )
            created.raise_for_status()
            run_id = created.json()["id"]
            deadline = time.monotonic() + 60
            while True:
                current = http.get(f"/flow_runs/{run_id}").json()
                if current["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"run {run_id} stayed {current['state_type']}")
                time.sleep(0.01)
            if current["state_type"] != "COMPLETED":
                raise SystemExit(f"run {run_id} ended {current['state_name']}")
            if i >= 2:  # the first two warm the worker, the server and the page cache
                to_running.append(_time(current["start_time"]) - submitted)
                to_completed.append(_time(current["end_time"]) - submitted)
        return {
            "runs": runs,
            "worker_query_seconds": query_seconds,
            "gap_seconds": gap,
            "submit_to_running": _summary(to_running),
            "submit_to_completed": _summary(to_completed),
        }
    finally:
        for process in (worker, server):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--port", type=int, default=4391)
    parser.add_argument("--query-seconds", type=float, default=0.5)
    parser.add_argument("--gap", type=float, default=1.0)
    args = parser.parse_args()
    result = run(args.runs, args.port, args.query_seconds, args.gap)
    for key in ("submit_to_running", "submit_to_completed"):
        figures = result[key]
        print(f"{key:>20}: " + "  ".join(f"{k} {v:.3f} s" for k, v in figures.items()))  # type: ignore[union-attr]
    print(json.dumps(result), file=sys.stdout)


if __name__ == "__main__":
    main()
