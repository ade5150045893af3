"""Measure the API server: start time, flow-run creates, filters on 100,000 runs, task-run batches.

Run from the repository root (each part starts its own server on a fresh home directory)::

    .venv/bin/python benchmarks/bench_server.py [start|create|filter|batch|all]
        [--n 1000] [--concurrency 16] [--runs 100000] [--tasks 20000] [--port 4390]
        [--server-cmd ".venv/bin/praefect server start --port {port}"]

- ``start``: seconds from spawning ``praefect server start`` to ``GET /api/health`` answering
  200 on a fresh database, then on the same (migrated) database again; for each, the server's
  CPU seconds until then, its idle RSS (VmRSS ``--idle`` seconds later, no request meanwhile:
  what ``../shared/bench`` reads), and the wall and server CPU milliseconds of the first
  request that needs the routes loaded on first use (``POST /api/flows/filter``).
- ``create``: ``POST /api/flow_runs/`` ``--n`` times from one client, then from
  ``--concurrency`` asyncio clients (one ``httpx.AsyncClient``, as ``../shared/bench`` does),
  then from ``--concurrency`` threads each with its own keep-alive ``http.client`` connection;
  runs per second, refused requests (429/503), and the CPU time per request of the server and
  of the benchmark client itself (from ``/proc``, so load from other processes hardly counts).
  On a 2-core machine the asyncio client needs ~1.5 ms of CPU a request, more than the server:
  it then measures itself (see ``ceiling``); the thread clients cost a fifth of that. Last,
  ``--concurrency`` separate processes, each one ``httpx.Client`` (16 programs, as 16 flows or
  workers elsewhere would be). ``--server-cmd`` can start another server with the same paths
  (``PRAEFECT_HOME`` and ``PREFECT_HOME`` are both set to a fresh directory).
- ``ceiling``: the asyncio client of ``create`` against a server that does nothing (answers
  at once with a flow-run-sized body, under the same uvicorn): the most requests per second that
  client can show on this machine, whatever server it measures.
- ``filter``: seeds ``--runs`` flow runs straight into the database (one multi-row INSERT per
  chunk, not through the API), then times ``POST /api/flow_runs/filter`` newest first (limit 10
  and 200), filtered by state, by flow sorted by expected start time, and ``count``: median
  wall time and the server's CPU per request. The server runs without its background services
  (they would be marking the seeded stale runs Late and Crashed during the measurement).
- ``batch``: a flow of ``--tasks`` trivial tasks run by a client pointed at the server
  (``PRAEFECT_API_URL``), so task runs travel in the client's ``POST /api/task_runs/batch``
  batches; tasks per second, the server's CPU per task run, and whether every task run was
  recorded (none lost). The same flow then runs embedded (no server, its own SQLite file) for
  the client's own pace: recording keeps up when the two rates are close.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
_TICK = os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """VmRSS of process ``pid`` in MiB."""
    with open(f"/proc/{pid}/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


class Server:
    def __init__(self, cmd: str, port: int, home: str, env: dict[str, str] | None = None) -> None:
        self.cmd = cmd.format(port=port).split()
        self.port = port
        self.base = f"http://127.0.0.1:{port}/api"
        self.home = home
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        # another server on the port would answer our health checks (and every request after)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"{self.base} is already taken by another server")
        env = dict(os.environ, **self.env)
        env.pop("PRAEFECT_API_URL", None)
        env["PRAEFECT_HOME"] = env["PREFECT_HOME"] = self.home
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.home, "server.log"), "ab"),
            start_new_session=True,
        )
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() - started < 60:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.home}/server.log")
                try:
                    if client.get(self.base + "/health").status_code == 200:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise RuntimeError("server did not become healthy")

    def cpu(self) -> float:
        assert self.proc is not None
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fresh_home(name: str) -> str:
    home = os.path.join(tempfile.gettempdir(), f"praefect-bench-server-{os.getpid()}-{name}")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    return home


def run_body(flow_id: str, i: int) -> dict:
    return {
        "flow_id": flow_id,
        "name": f"bench-run-{i}",
        "parameters": {"i": i},
        "tags": ["bench"],
        "state": {"type": "PENDING", "name": "Pending"},
    }


def bench_start(a: argparse.Namespace) -> dict:
    keys = ("s", "cpu_s", "idle_rss_mib", "first_request_ms", "first_request_cpu_ms")
    out: dict = {f"{db}_{key}": [] for db in ("cold", "warm") for key in keys}
    for _ in range(a.reps):
        home = fresh_home("start")
        for db in ("cold", "warm"):
            server = Server(a.server_cmd, a.port, home)
            out[f"{db}_s"].append(round(server.start(), 3))
            out[f"{db}_cpu_s"].append(round(server.cpu(), 2))
            time.sleep(a.idle)
            assert server.proc is not None
            out[f"{db}_idle_rss_mib"].append(round(rss_mib(server.proc.pid), 1))
            cpu, t = server.cpu(), time.perf_counter()
            httpx.post(server.base + "/flows/filter", json={}, timeout=30).raise_for_status()
            out[f"{db}_first_request_ms"].append(round((time.perf_counter() - t) * 1e3))
            out[f"{db}_first_request_cpu_ms"].append(round((server.cpu() - cpu) * 1e3))
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


async def _concurrent(base: str, flow_id: str, n: int, conc: int) -> tuple[int, int]:
    refused = 0
    ok = 0
    todo = iter(range(n))
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:

        async def worker() -> None:
            nonlocal refused, ok
            for i in todo:
                while True:
                    try:
                        r = await client.post(
                            base + "/flow_runs/", json=run_body(flow_id, 10**6 + i)
                        )
                    except httpx.TransportError:  # a keep-alive connection the server closed
                        await asyncio.sleep(0.01)
                        continue
                    if r.status_code in (429, 503):
                        refused += 1
                        await asyncio.sleep(0.05)
                        continue
                    r.raise_for_status()
                    ok += 1
                    break

        await asyncio.gather(*(worker() for _ in range(conc)))
    return ok, refused


def _threads(base: str, flow_id: str, n: int, conc: int) -> tuple[int, int]:
    """``n`` creates from ``conc`` threads, each on its own keep-alive connection."""
    host, port = base.split("//")[1].split("/")[0].split(":")
    path = "/" + base.split("//")[1].split("/", 1)[1] + "/flow_runs/"
    todo = iter(range(n))
    lock = threading.Lock()
    counts = {"ok": 0, "refused": 0}

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {"Content-Type": "application/json"}
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                break
            body = json.dumps(run_body(flow_id, 2 * 10**6 + i))
            while True:
                try:
                    conn.request("POST", path, body, headers)
                    response = conn.getresponse()
                    response.read()
                except (ConnectionError, http.client.HTTPException):
                    conn.close()  # the server closed the keep-alive connection: open another
                    time.sleep(0.01)
                    continue
                if response.status in (429, 503):
                    with lock:
                        counts["refused"] += 1
                    time.sleep(0.05)
                    continue
                if response.status >= 400:
                    raise RuntimeError(f"create answered {response.status}")
                with lock:
                    counts["ok"] += 1
                break
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(conc)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return counts["ok"], counts["refused"]


# One client process: it waits for a line on stdin (all processes start together), then makes
# its share of the creates with httpx.Client, retrying 429/503 as the shared harness does.
_CLIENT_PROCESS = """
import json, sys, time, httpx
base, flow_id, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ok = refused = 0
with httpx.Client(timeout=60.0) as client:
    client.get(base + "/health")
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(first, first + count):
        body = {"flow_id": flow_id, "name": f"bench-run-{i}", "parameters": {"i": i},
                "tags": ["bench"], "state": {"type": "PENDING", "name": "Pending"}}
        while True:
            try:
                r = client.post(base + "/flow_runs/", json=body)
            except httpx.TransportError:
                time.sleep(0.01)
                continue
            if r.status_code in (429, 503):
                refused += 1
                time.sleep(0.05)
                continue
            r.raise_for_status()
            ok += 1
            break
print(json.dumps([ok, refused]), flush=True)
"""


def _processes(base: str, flow_id: str, n: int, conc: int) -> tuple[int, int, float]:
    """``n`` creates from ``conc`` processes, each one ``httpx.Client`` (16 separate programs,
    as 16 flows or workers on other machines would be); returns ok, refused, seconds."""
    share = [n // conc + (1 if k < n % conc else 0) for k in range(conc)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLIENT_PROCESS, base, flow_id, str(3 * 10**6 + k * n), str(c)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k, c in enumerate(share)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [json.loads(proc.communicate()[0]) for proc in procs]
    wall = time.perf_counter() - started
    return sum(r[0] for r in results), sum(r[1] for r in results), wall


def _post(client: httpx.Client, url: str, body: dict) -> httpx.Response:
    """``client.post``, again when the server closed the keep-alive connection under it."""
    while True:
        try:
            return client.post(url, json=body)
        except httpx.TransportError:
            time.sleep(0.01)


def bench_create(a: argparse.Namespace) -> dict:
    home = fresh_home("create")
    out: dict = {}
    with Server(a.server_cmd, a.port, home) as server, httpx.Client(timeout=30) as client:
        flow_id = _post(client, server.base + "/flows/", {"name": "bench"}).json()["id"]
        for i in range(50):  # warm up
            _post(client, server.base + "/flow_runs/", run_body(flow_id, -i))
        me = os.getpid()
        cpu, mine, t = server.cpu(), cpu_seconds(me), time.perf_counter()
        lat, refused = [], 0
        for i in range(a.n):
            s = time.perf_counter()
            while (
                r := _post(client, server.base + "/flow_runs/", run_body(flow_id, i))
            ).status_code in (429, 503):
                refused += 1  # Prefect answers 503 when SQLite is locked; retry as the harness does
                time.sleep(0.05)
            r.raise_for_status()
            lat.append(time.perf_counter() - s)
        wall, cpu, mine = time.perf_counter() - t, server.cpu() - cpu, cpu_seconds(me) - mine
        out["sequential"] = {
            "runs_per_s": round(a.n / wall),
            "refused": refused,
            "p50_ms": round(statistics.median(lat) * 1e3, 2),
            "server_cpu_us_per_run": round(cpu / a.n * 1e6),
            "client_cpu_us_per_run": round(mine / a.n * 1e6),
        }
        for key, clients in (("concurrent", _concurrent), ("concurrent_threads", None)):
            cpu, mine, t = server.cpu(), cpu_seconds(me), time.perf_counter()
            if clients is not None:
                ok, refused = asyncio.run(clients(server.base, flow_id, a.n, a.concurrency))
            else:
                ok, refused = _threads(server.base, flow_id, a.n, a.concurrency)
            wall, cpu, mine = time.perf_counter() - t, server.cpu() - cpu, cpu_seconds(me) - mine
            out[key] = {
                "clients": a.concurrency,
                "runs_per_s": round(ok / wall),
                "refused": refused,
                "server_cpu_us_per_run": round(cpu / a.n * 1e6),
                "client_cpu_us_per_run": round(mine / a.n * 1e6),
            }
        cpu = server.cpu()
        ok, refused, wall = _processes(server.base, flow_id, a.n, a.concurrency)
        out["concurrent_processes"] = {
            "clients": a.concurrency,
            "runs_per_s": round(ok / wall),
            "refused": refused,
            "server_cpu_us_per_run": round((server.cpu() - cpu) / a.n * 1e6),
        }
    shutil.rmtree(home, ignore_errors=True)
    return out


# A server that does no work: it answers every request at once with a body the size of a flow
# run's, under the same uvicorn (httptools, uvloop) as praefect's server. What the asyncio
# client gets from it is the most that client can show on this machine, whatever the server.
_NULL_SERVER = """
import sys, uvicorn
BODY = b'{"id": "' + b'0' * 36 + b'"' + b', "x": "' + b'y' * 1500 + b'"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""


def bench_ceiling(a: argparse.Namespace) -> dict:
    """The asyncio client of ``create`` (the shared harness's) against a server doing nothing."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _NULL_SERVER, str(a.port)], start_new_session=True
    )
    base = f"http://127.0.0.1:{a.port}/api"
    try:
        with httpx.Client(timeout=2.0) as client:
            for _ in range(500):
                try:
                    client.get(base + "/health")
                    break
                except httpx.HTTPError:
                    time.sleep(0.01)
        me = os.getpid()
        asyncio.run(_concurrent(base, "null", 200, a.concurrency))  # warm up
        cpu, mine, t = cpu_seconds(proc.pid), cpu_seconds(me), time.perf_counter()
        ok, _ = asyncio.run(_concurrent(base, "null", a.n, a.concurrency))
        wall, cpu, mine = (
            time.perf_counter() - t,
            cpu_seconds(proc.pid) - cpu,
            cpu_seconds(me) - mine,
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    return {
        "clients": a.concurrency,
        "runs_per_s": round(ok / wall),
        "server_cpu_us_per_request": round(cpu / a.n * 1e6),
        "client_cpu_us_per_request": round(mine / a.n * 1e6),
    }


def seed(db_path: str, flow_id: str, runs: int) -> None:
    """Insert ``runs`` flow runs (and their current states) straight into the database."""
    import datetime as dt
    import sqlite3

    states = ["COMPLETED"] * 8 + ["FAILED", "RUNNING", "SCHEDULED", "PENDING"]
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    policy = json.dumps({"retries": 0, "retry_delay": [0.0], "retry_jitter_factor": None})
    run_rows, state_rows = [], []
    for i in range(runs):
        at = (start + dt.timedelta(seconds=i)).isoformat(" ", "microseconds")[:26]
        run_id, state_id = str(uuid.uuid4()), str(uuid.uuid4())
        kind = states[i % len(states)]
        name = kind.title()
        tags = '["bench"]' if i % 2 else '["other"]'
        run_rows.append(
            (run_id, at, at, f"seed-{i}", flow_id, "{}", state_id, kind, name, at, at, policy, tags)
        )
        state_rows.append((state_id, run_id, kind, name, at, "{}"))
    conn.executemany(
        "INSERT INTO flow_run (id, created, updated, name, flow_id, parameters, state_id,"
        " state_type, state_name, state_timestamp, expected_start_time, empirical_policy, tags,"
        " run_count, total_run_time, auto_scheduled) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0,0,0)",
        run_rows,
    )
    conn.executemany(
        "INSERT INTO flow_run_state (id, flow_run_id, type, name, timestamp, state_details)"
        " VALUES (?,?,?,?,?,?)",
        state_rows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


# The seeded runs include 8,333 Scheduled runs due in 2024 and 8,333 Running ones without a
# heartbeat: the server's late-runs and crashed-runs services would spend the measurement
# marking them Late and Crashed, and the filters would time those services.
_NO_SERVICES = {
    f"{prefix}_SERVER_SERVICES_{name}_ENABLED": "false"
    for prefix in ("PRAEFECT", "PREFECT")
    for name in ("SCHEDULER", "LATE_RUNS", "CRASHED_RUNS")
}


def bench_filter(a: argparse.Namespace) -> dict:
    home = fresh_home("filter")
    out: dict = {}
    server = Server(a.server_cmd, a.port, home, env=_NO_SERVICES)
    with server, httpx.Client(timeout=60) as client:
        flow_id = client.post(server.base + "/flows/", json={"name": "bench"}).json()["id"]
        other = client.post(server.base + "/flows/", json={"name": "other"}).json()["id"]
        t = time.perf_counter()
        seed(os.path.join(home, "praefect.db"), flow_id, a.runs)
        out["seed_s"] = round(time.perf_counter() - t, 1)
        client.post(server.base + "/flow_runs/", json=run_body(other, 0)).raise_for_status()
        queries = {
            "newest_limit10": ("/flow_runs/filter", {"limit": 10}),
            "newest_limit200": ("/flow_runs/filter", {"limit": 200}),
            "state_failed_limit200": (
                "/flow_runs/filter",
                {"limit": 200, "flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}},
            ),
            "state_running_or_pending_limit50": (
                "/flow_runs/filter",
                {"limit": 50, "flow_runs": {"state": {"type": {"any_": ["RUNNING", "PENDING"]}}}},
            ),
            "flow_sorted_tag_limit50": (
                "/flow_runs/filter",
                {
                    "limit": 50,
                    "sort": "EXPECTED_START_TIME_DESC",
                    "flows": {"id": {"any_": [flow_id]}},
                    "flow_runs": {"tags": {"all_": ["bench"]}},
                },
            ),
            "other_flow": ("/flow_runs/filter", {"flows": {"id": {"any_": [other]}}}),
            "count_all": ("/flow_runs/count", {}),
            "count_failed": (
                "/flow_runs/count",
                {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}},
            ),
        }
        for name, (path, body) in queries.items():
            client.post(server.base + path, json=body).raise_for_status()
            lat = []
            cpu = server.cpu()
            for _ in range(a.filter_reps):
                s = time.perf_counter()
                r = client.post(server.base + path, json=body)
                lat.append(time.perf_counter() - s)
                r.raise_for_status()
            cpu = server.cpu() - cpu
            rows = r.json()
            out[name] = {
                "rows": len(rows) if isinstance(rows, list) else rows,
                "median_ms": round(statistics.median(lat) * 1e3, 1),
                "server_cpu_ms": round(cpu / a.filter_reps * 1e3, 1),
            }
    shutil.rmtree(home, ignore_errors=True)
    return out


_FLOW = """
import sys, time
from praefect import flow, task

@task
def inc(x):
    return x + 1

@flow
def many(n):
    for i in range(n):
        inc(i)

t = time.perf_counter()
many(int(sys.argv[1]))
print(time.perf_counter() - t)
"""


def bench_batch(a: argparse.Namespace) -> dict:
    home = fresh_home("batch")
    client_home = fresh_home("batch-client")
    with Server(a.server_cmd, a.port, home) as server:
        env = dict(os.environ)
        env.update(PRAEFECT_API_URL=server.base, PRAEFECT_HOME=client_home)
        # the server imports its API routes on the first request (~0.3 s of CPU, once): not a
        # cost per task run
        httpx.post(server.base + "/task_runs/count", json={}, timeout=60).raise_for_status()
        cpu, t = server.cpu(), time.perf_counter()
        flow_s = float(
            subprocess.run(
                [PYTHON, "-c", _FLOW, str(a.tasks)], env=env, check=True, capture_output=True
            ).stdout.split()[-1]
        )
        wall, cpu = time.perf_counter() - t, server.cpu() - cpu
        stored = httpx.post(server.base + "/task_runs/count", json={}, timeout=60).json()
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(client_home, ignore_errors=True)
    embedded_home = fresh_home("batch-embedded")
    env = {k: v for k, v in os.environ.items() if k != "PRAEFECT_API_URL"}
    env["PRAEFECT_HOME"] = embedded_home
    t = time.perf_counter()
    embedded_s = float(
        subprocess.run(
            [PYTHON, "-c", _FLOW, str(a.tasks)], env=env, check=True, capture_output=True
        ).stdout.split()[-1]
    )
    embedded_wall = time.perf_counter() - t
    shutil.rmtree(embedded_home, ignore_errors=True)
    return {
        "tasks": a.tasks,
        "flow_s": round(flow_s, 2),
        "tasks_per_s": round(a.tasks / flow_s),
        "client_process_s": round(wall, 2),
        "stored": stored,
        "lost": a.tasks - stored,
        "server_cpu_us_per_task": round(cpu / a.tasks * 1e6),
        "embedded_flow_s": round(embedded_s, 2),
        "embedded_tasks_per_s": round(a.tasks / embedded_s),
        "embedded_process_s": round(embedded_wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", nargs="?", default="all")
    parser.add_argument("--server-cmd", default=".venv/bin/praefect server start --port {port}")
    parser.add_argument("--port", type=int, default=4390)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--filter-reps", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds before idle RSS")
    a = parser.parse_args()
    os.chdir(ROOT)
    parts = {"start": bench_start, "create": bench_create, "filter": bench_filter}
    parts["batch"] = bench_batch
    parts["ceiling"] = bench_ceiling
    for name, fn in parts.items():
        if a.part in (name, "all"):
            print(json.dumps({name: fn(a)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
