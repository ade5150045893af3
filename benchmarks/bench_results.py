#!/usr/bin/env python3
"""Results and caching benchmark (issue 3), library-agnostic like ../shared/bench/workloads.py.

    ORCH=praefect .venv/bin/python benchmarks/bench_results.py cache-hit --n 2000
    ORCH=praefect .venv/bin/python benchmarks/bench_results.py persisted --n 100000
    ORCH=prefect  /tmp/prefect-ref/bin/python benchmarks/bench_results.py persisted --n 2000

Each call is one fresh process with a temporary home and prints one JSON line:

- ``cache-hit``: a task with ``cache_policy=INPUTS`` called N times with the same input inside
  one flow (1 miss, N-1 hits); ``per_hit_ms`` = (loop - the same loop of plain calls) / N.
- ``persisted``: a flow of N sequential tasks with ``persist_result=True`` (each result written
  to local result storage); total time, per-task time and peak RSS (bounded memory: the flow
  must not keep the payloads alive).

Timing never fails anything; compare ratios measured in one sitting.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import tempfile
import time

LIB = os.environ.get("ORCH", "praefect")


def _isolate() -> str:
    home = tempfile.mkdtemp(prefix=f"{LIB}-bench-results-")
    for prefix in ("PRAEFECT", "PREFECT"):
        os.environ[f"{prefix}_HOME"] = home
        os.environ.setdefault(f"{prefix}_LOGGING_LEVEL", "WARNING")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return home


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cache_hit(n: int) -> dict:
    mod = importlib.import_module(LIB)
    policies = importlib.import_module(f"{LIB}.cache_policies")

    def work(x: int, token: str) -> int:
        return x + 1

    cached = mod.task(work, cache_policy=policies.INPUTS)
    token = os.urandom(8).hex()

    @mod.flow
    def f(n: int) -> tuple[float, float]:
        cached(1, token)  # the one miss
        t0 = time.perf_counter()
        for _ in range(n):
            cached(1, token)
        loop = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(n):
            work(1, token)
        plain = time.perf_counter() - t0
        return loop, plain

    f(1)
    loop, plain = f(n)
    return {"n": n, "loop_s": loop, "per_hit_ms": (loop - plain) / n * 1e3}


def persisted(n: int) -> dict:
    mod = importlib.import_module(LIB)

    @mod.task(persist_result=True)
    def payload(i: int) -> bytes:
        return b"x" * 1024  # 1 KiB per result: 100,000 of them would be ~100 MiB if kept

    @mod.flow
    def f(n: int) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            payload(i)
        return time.perf_counter() - t0

    f(1)
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    body = f(n)
    total = time.perf_counter() - t0
    return {
        "n": n,
        "body_s": body,
        "flow_s": total,
        "per_task_ms": body / n * 1e3,
        "rss_before_mb": rss_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["cache-hit", "persisted"])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    home = _isolate()
    t0 = time.perf_counter()
    result = cache_hit(args.n) if args.workload == "cache-hit" else persisted(args.n)
    result.update(
        workload=args.workload,
        lib=LIB,
        peak_rss_mb=_rss_mb(),
        in_process_s=time.perf_counter() - t0,
        home=home,
    )
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
