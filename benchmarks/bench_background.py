"""Measure ``.delay()`` to the task starting on an idle task worker (background tasks).

Run from the repository root::

    .venv/bin/python benchmarks/bench_background.py [--runs 200] [--mode thread|process|server]
        [--gap 0.02]

Modes (each on a fresh temporary home, SQLite):

- ``thread``: embedded store, the task worker in a thread of this process (``TaskWorker``);
- ``process``: embedded store, the task worker in another process (``praefect task serve``),
  both on the same SQLite file;
- ``server``: ``praefect server start`` in another process, the task worker in a third
  (``praefect task serve``), ``.delay()`` from this one over HTTP.

The task returns ``time.time()`` taken as its body starts; the latency of a run is that minus
the moment before ``.delay()`` was called. Runs go one at a time, ``--gap`` seconds after the
previous one finished, so the worker is idle every time. Prints p50, p90, p99 and max in
milliseconds, then the same as JSON on the last line.

With ``--drain N`` (modes ``process`` and ``server``) it measures a backlog instead: ``N``
``.delay()`` calls, drained by ``--workers`` worker processes (``--limit`` runs each at once);
every execution appends its number to a file, so the count of lost runs and of runs executed
twice is exact. Prints the time to schedule them all, the time until the last one ran, and the
counts.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRAEFECT = str(ROOT / ".venv" / "bin" / "praefect")

TASKS = """
import time

from praefect import task


@task
def started_at(n: int) -> float:
    return time.time()


@task
def record(n: int, path: str) -> None:
    with open(path, "a") as out:
        out.write(f"{n}\\n")
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p90": round(_percentile(values, 90), 1),
        "p99": round(_percentile(values, 99), 1),
        "max": round(max(values), 1),
    }


def _wait_for_server(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not answer in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--mode", choices=["thread", "process", "server"], default="thread")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between runs")
    parser.add_argument("--port", type=int, default=4397)
    parser.add_argument("--drain", type=int, default=0, help="runs of a backlog to drain")
    parser.add_argument("--workers", type=int, default=4, help="worker processes (--drain)")
    parser.add_argument("--limit", type=int, default=10, help="runs at once per worker")
    args = parser.parse_args()
    if args.drain and args.mode == "thread":
        parser.error("--drain needs --mode process or --mode server")

    home = Path(tempfile.mkdtemp(prefix="praefect-bench-background-"))
    (home / "bench_tasks.py").write_text(TASKS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAEFECT_", "PREFECT_"))}
    env["PRAEFECT_HOME"] = str(home)
    children: list[subprocess.Popen[bytes]] = []
    atexit.register(_stop, children, home)  # whatever happens, no server is left behind
    os.environ.update({"PRAEFECT_HOME": str(home)})
    for key in [k for k in os.environ if k.startswith(("PRAEFECT_API", "PREFECT_API"))]:
        del os.environ[key]
    if args.mode == "server":
        url = f"http://127.0.0.1:{args.port}/api"
        server = [PRAEFECT, "server", "start", "--port", str(args.port)]
        children.append(subprocess.Popen(server, env=env, stdout=subprocess.DEVNULL))
        _wait_for_server(url)
        env["PRAEFECT_API_URL"] = os.environ["PRAEFECT_API_URL"] = url
    sys.path.insert(0, str(home))
    os.chdir(home)
    import bench_tasks  # type: ignore[import-not-found]

    from praefect.task_worker import TaskWorker

    worker: TaskWorker | None = None
    if args.drain:
        try:
            result = _drain(args, home, env, children, bench_tasks)
        finally:
            _stop(children, home)
        print(json.dumps(result))
        return
    if args.mode == "thread":
        worker = TaskWorker(bench_tasks.started_at)
        threading.Thread(target=asyncio.run, args=(worker.start(),), daemon=True).start()
    else:
        serve = [PRAEFECT, "task", "serve", "bench_tasks.py:started_at"]
        children.append(subprocess.Popen(serve, env=env, cwd=home, stdout=subprocess.DEVNULL))
    try:
        for n in range(5):  # warm-up: imports, connections, the worker's first claim
            bench_tasks.started_at.delay(n).result(timeout=60)
        latencies = []
        for n in range(args.runs):
            time.sleep(args.gap)
            before = time.time()
            started = bench_tasks.started_at.delay(n).result(timeout=60)
            latencies.append((started - before) * 1000)
    finally:
        if worker is not None:
            asyncio.run(worker.stop())
        _stop(children, home)
    summary = _summary(latencies)
    print(f".delay() to the task starting, {args.mode} mode, {args.runs} runs (ms):")
    print("  " + "  ".join(f"{k} {v}" for k, v in summary.items()))
    print(json.dumps({"mode": args.mode, "runs": args.runs, **summary}))


def _stop(children: list[subprocess.Popen[bytes]], home: Path) -> None:
    for child in reversed(children):
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    shutil.rmtree(home, ignore_errors=True)


def _drain(
    args: argparse.Namespace,
    home: Path,
    env: dict[str, str],
    children: list[subprocess.Popen[bytes]],
    bench_tasks: object,
) -> dict[str, object]:
    out = home / "executions.txt"
    serve = [PRAEFECT, "task", "serve", "bench_tasks.py:record", "--limit", str(args.limit)]
    for _ in range(args.workers):
        children.append(subprocess.Popen(serve, env=env, cwd=home, stdout=subprocess.DEVNULL))
    record = bench_tasks.record  # type: ignore[attr-defined]
    record.delay(-1, str(home / "warm.txt")).result(timeout=60)
    start = time.monotonic()
    for n in range(args.drain):
        record.delay(n, str(out))
    scheduled = time.monotonic() - start
    deadline = time.monotonic() + max(120.0, args.drain / 20)
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = out.read_text().split() if out.exists() else []
        if len(lines) >= args.drain:
            break
        time.sleep(0.2)
    drained = time.monotonic() - start
    time.sleep(1.0)  # a run executed twice would show up now
    lines = out.read_text().split() if out.exists() else []
    seen = [int(line) for line in lines]
    result = {
        "mode": args.mode,
        "runs": args.drain,
        "workers": args.workers,
        "schedule_s": round(scheduled, 2),
        "drain_s": round(drained, 2),
        "runs_per_s": round(args.drain / drained, 1),
        "lost": len(set(range(args.drain)) - set(seen)),
        "twice": len(seen) - len(set(seen)),
    }
    print(
        f"{args.drain} .delay() calls in {scheduled:.1f} s, drained by {args.workers} workers"
        f" in {drained:.1f} s ({result['runs_per_s']} runs/s): {result['lost']} lost,"
        f" {result['twice']} run twice"
    )
    return result


if __name__ == "__main__":
    main()
