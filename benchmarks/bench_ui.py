"""Measure the web UI's pages on a big database: how long each page takes to render with
``--runs`` flow runs stored (default 1,000,000).

Run from the repository root::

    .venv/bin/python benchmarks/bench_ui.py [--runs 1000000] [--reps 7] [--home DIR]

Seeds the runs straight into a fresh SQLite database (one multi-row INSERT per chunk, not
through the API): created over the last 30 days, 8 flows, states cycling (2/3 Completed, some
Failed, Running, Scheduled, Pending, Crashed), two tags. A run with 200 task runs in a chain and
2,000 log lines is added, for the run page. Then starts ``praefect server start`` on it and times
``GET`` of each page (median of ``--reps``, after one warm-up): the HTML as the browser receives
it, without the page's scripts. ``--home`` keeps the database for another session (seeding
1,000,000 runs takes about a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRAEFECT = os.path.join(ROOT, ".venv", "bin", "praefect")
STATES = ["COMPLETED"] * 8 + ["FAILED", "RUNNING", "SCHEDULED", "PENDING", "CRASHED"]


def _ts(at: dt.datetime) -> str:
    return at.isoformat(" ", "microseconds")[:26]


def seed(db_path: str, flow_ids: list[str], runs: int) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    now = dt.datetime.now(dt.UTC)
    step = dt.timedelta(days=30) / runs
    policy = json.dumps({"retries": 0, "retry_delay": [0.0], "retry_jitter_factor": None})
    chunk: list[tuple] = []
    states: list[tuple] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO flow_run (id, created, updated, name, flow_id, parameters, state_id,"
            " state_type, state_name, state_timestamp, expected_start_time, start_time, end_time,"
            " empirical_policy, tags, run_count, total_run_time, auto_scheduled)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,0)",
            chunk,
        )
        conn.executemany(
            "INSERT INTO flow_run_state (id, flow_run_id, type, name, timestamp, state_details)"
            " VALUES (?,?,?,?,?,'{}')",
            states,
        )
        chunk.clear()
        states.clear()

    for i in range(runs):
        at = now - dt.timedelta(days=30) + step * i
        kind = STATES[i % len(STATES)]
        run_id, state_id = str(uuid.uuid4()), str(uuid.uuid4())
        start = _ts(at)
        end = (
            _ts(at + dt.timedelta(seconds=3))
            if kind in ("COMPLETED", "FAILED", "CRASHED")
            else None
        )
        tags = '["nightly"]' if i % 2 else '["adhoc"]'
        chunk.append(
            (
                run_id,
                start,
                start,
                f"seed-{i}",
                flow_ids[i % len(flow_ids)],
                '{"n": 1}',
                state_id,
                kind,
                kind.title(),
                start,
                start,
                start,
                end,
                policy,
                tags,
                3.0,
            )
        )
        states.append((state_id, run_id, kind, kind.title(), start))
        if len(chunk) >= 20_000:
            flush()
    if chunk:
        flush()
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


_BIG_RUN = """
import logging
from praefect import flow, get_run_logger, task

@task
def step(x: int) -> int:
    return x + 1

@flow(name="big-run")
def big() -> None:
    logger = get_run_logger()
    value = step.submit(0)
    for i in range(199):
        value = step.submit(value)
    value.result()
    for i in range(2000):
        logger.info("line %d", i)

big()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--port", type=int, default=4391)
    parser.add_argument("--home", default=None)
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="praefect-bench-ui-")
    env = {**os.environ, "PRAEFECT_HOME": home}
    env.pop("PRAEFECT_API_URL", None)
    db = os.path.join(home, "praefect.db")
    fresh = not os.path.exists(db)
    if fresh:
        subprocess.run([sys.executable, "-c", _BIG_RUN], env=env, check=True, capture_output=True)
        conn = sqlite3.connect(db)
        flows = []
        for i in range(8):
            fid = str(uuid.uuid4())
            stamp = _ts(dt.datetime.now(dt.UTC))
            conn.execute(
                "INSERT INTO flow (id, created, updated, name, tags) VALUES (?,?,?,?,'[]')",
                (fid, stamp, stamp, f"flow-{i}"),
            )
            flows.append(fid)
        conn.commit()
        conn.close()
        started = time.perf_counter()
        seed(db, flows, args.runs)
        print(f"seeded {args.runs:,} runs in {time.perf_counter() - started:.1f}s")
    server = subprocess.Popen(
        [PRAEFECT, "server", "start", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as http:
            for _ in range(300):
                try:
                    if http.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            flows = http.post("/api/flows/filter", json={}).json()
            flow_id = next(f["id"] for f in flows if f["name"] == "flow-3")
            big = http.post(
                "/api/flow_runs/filter", json={"flows": {"name": {"any_": ["big-run"]}}}
            ).json()[0]
            first = http.get("/runs").text
            cursor = first.split("after=")[1].split('"')[0].split("&")[0]
            pages = {
                "dashboard": "/dashboard",
                "chart 24h": "/ui/charts/runs.json?range=24h",
                "chart 30d": "/ui/charts/runs.json?range=30d",
                "runs (newest 50)": "/runs",
                "runs, second page (cursor)": f"/runs?after={cursor}",
                "runs, state Failed": "/runs?state=FAILED",
                "runs, state Failed+Crashed, 24h": "/runs?state=FAILED&state=CRASHED&range=24h",
                "runs, one flow": f"/runs?flow={flow_id}",
                "runs, tag": "/runs?tag=nightly",
                "flows (8, with 24h counts)": "/flows",
                "flow page": f"/flows/flow/{flow_id}",
                "flow run (200 tasks, 2,000 logs)": f"/runs/flow-run/{big['id']}",
            }
            print(f"{'page':40} {'median ms':>10} {'KB':>7}")
            for name, path in pages.items():
                http.get(path).raise_for_status()
                times = []
                for _ in range(args.reps):
                    t = time.perf_counter()
                    response = http.get(path)
                    times.append(time.perf_counter() - t)
                    response.raise_for_status()
                print(
                    f"{name:40} {statistics.median(times) * 1000:10.1f}"
                    f" {len(response.content) / 1024:7.1f}"
                )
    finally:
        server.terminate()
        server.wait()
    print(f"database kept in {home}" if args.home else f"database in {home} (delete it)")


if __name__ == "__main__":
    main()
