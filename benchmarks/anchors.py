#!/usr/bin/env python3
"""The shared side-by-side harness (../shared/bench/run_anchors.py) with the project's plan added.

run_anchors.py's ``default`` plan has no 10,000-task sequential flow; this wrapper registers a
``core`` plan (the workloads docs/benchmarks.md reports) and a ``core-quick`` plan, then hands
over to run_anchors.main(), so records, logs and summarize.py output are exactly the shared
harness's. Any run_anchors.py option works::

    python3 benchmarks/anchors.py --python .venv/bin/python --orch praefect --label praefect \
        --plan core --reps 3 --out-dir /tmp/bench-results
    python3 benchmarks/anchors.py --python /tmp/prefect-ref/bin/python --orch prefect \
        --label prefect --plan core --reps 3 --out-dir /tmp/bench-results
    python3 ../shared/bench/summarize.py /tmp/bench-results

Set BENCH_DIR to use a copy of the shared bench folder somewhere else.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get(
    "BENCH_DIR", os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench"))
)
sys.path.insert(0, BENCH_DIR)

import run_anchors  # noqa: E402

run_anchors.PLANS["core"] = [
    ("import", ["import"]),
    ("hello", ["hello"]),
    ("seq-1000", ["seq", "--n", "1000"]),
    ("seq-10000", ["seq", "--n", "10000"]),
    ("submit-1000", ["submit", "--n", "1000"]),
    ("map-1000", ["map", "--n", "1000"]),
    ("nested-100", ["nested", "--n", "100"]),
    ("retries", ["retries", "--reps", "5"]),
    ("cache-1000x10", ["cache", "--n", "1000", "--distinct", "10"]),
]
# Prefect's subflow costs ~1.15 s each: 20 of them give the same per-subflow figure sooner.
run_anchors.PLANS["core-slow-nested"] = [
    (name, argv) if name != "nested-100" else ("nested-20", ["nested", "--n", "20"])
    for name, argv in run_anchors.PLANS["core"]
]
run_anchors.PLANS["core-quick"] = [
    ("import", ["import"]),
    ("hello", ["hello"]),
    ("seq-1000", ["seq", "--n", "1000"]),
]

if __name__ == "__main__":
    run_anchors.main()
