"""Measure the write-behind writer's cost per task-run state change, on real engine records.

Run: ``.venv/bin/python benchmarks/bench_write_path.py [n_tasks] [--profile]``.

A flow calling ``n_tasks`` trivial tasks runs with the writer's commit replaced by a recorder, so
the batches are exactly what the engine produces (rows, states with details, the "Finished in
state" logs). The batches are then written to a fresh SQLite database, single-threaded, three
ways:

- ``python``: the write functions with a connection that compiles but does not execute SQL, i.e.
  the Python time the writer thread holds the GIL for before the driver is called;
- ``total cpu``: the real writes (thread CPU time, so other load on the machine hardly counts);
- ``throughput``: state changes committed per wall-clock second.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
from typing import Any


def record(n_tasks: int) -> list[tuple[list[Any], list[Any]]]:
    from praefect import flow, task
    from praefect.client import writer

    batches: list[tuple[list[Any], list[Any]]] = []

    def _commit(self: Any, tasks: list[Any], logs: list[Any], events: list[Any]) -> None:
        batches.append((tasks, logs))

    original = writer.WriteBehind._commit
    writer.WriteBehind._commit = _commit  # type: ignore[method-assign]
    try:

        @task
        def inc(x: int) -> int:
            return x + 1

        @flow
        def many(n: int) -> None:
            for i in range(n):
                inc(i)

        many(n_tasks)
    finally:
        writer.WriteBehind._commit = original  # type: ignore[method-assign]
    tasks = [item for t, _ in batches for item in t]
    logs = [row for _, rows in batches for row in rows]
    # re-cut into the writer's batch size, task changes and logs interleaved as they came
    size = 5000
    out = []
    per_log = max(1, len(tasks) // max(1, len(logs)))
    for start in range(0, len(tasks), size):
        chunk = tasks[start : start + size]
        out.append((chunk, logs[start // per_log : (start + size) // per_log]))
    return out


class _DryConnection:
    """Enough of a Connection for the write functions, executing nothing."""

    def __init__(self, conn: Any) -> None:
        self.dialect = conn.dialect
        self._conn = conn

    def exec_driver_sql(self, sql: str, params: Any = None) -> Any:
        class _Result:
            def scalar(self) -> int:
                return 0

        return _Result()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def main(n_tasks: int, profile: bool) -> None:
    from praefect import database, orchestration
    from praefect.client.embedded import EmbeddedClient

    batches = record(n_tasks)
    changes = sum(1 for tasks, _ in batches for _, state in tasks if state is not None)
    logs = sum(len(rows) for _, rows in batches)
    flow_runs = {row["flow_run_id"] for tasks, _ in batches for row, _ in tasks}

    def write_all(engine: Any, dry: bool) -> None:
        for tasks, log_rows in batches:

            def write(conn: Any, tasks: Any = tasks, log_rows: Any = log_rows) -> None:
                if dry:
                    conn = _DryConnection(conn)
                orchestration.task_runs.write_batch(conn, tasks, {})
                orchestration.logs.write_batch(conn, log_rows)

            database.write(engine, write)

    results: dict[str, list[float]] = {"python": [], "cpu": [], "wall": []}
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            client = EmbeddedClient(f"sqlite:///{tmp}/bench.db")
            engine = client.engine
            flow_id = client.ensure_flow("many")
            for flow_run_id in flow_runs:  # task runs may only name an existing flow run
                client.create_flow_run({"id": flow_run_id, "flow_id": flow_id})
            cpu = time.thread_time()
            write_all(engine, dry=True)
            results["python"].append(time.thread_time() - cpu)
            cpu, wall = time.thread_time(), time.perf_counter()
            if profile:
                prof = cProfile.Profile()
                prof.enable()
            write_all(engine, dry=False)
            if profile:
                prof.disable()
            results["cpu"].append(time.thread_time() - cpu)
            results["wall"].append(time.perf_counter() - wall)
            client.close()
            database.dispose_all()
            if profile:
                pstats.Stats(prof).sort_stats("tottime").print_stats(20)
                break
    print(f"{changes} state changes, {logs} logs, {len(batches)} batches")
    print(f"python (no SQL executed): {min(results['python']) / changes * 1e6:.2f} us/state change")
    print(f"total cpu:                {min(results['cpu']) / changes * 1e6:.2f} us/state change")
    print(f"throughput:               {changes / min(results['wall']):,.0f} state changes/s")


if __name__ == "__main__":
    os.environ.setdefault("PRAEFECT_HOME", tempfile.mkdtemp())
    os.environ.setdefault("PRAEFECT_LOGGING_CONSOLE", "false")
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000, "--profile" in sys.argv)
