"""What an artifact costs a task, and what ``Variable.get`` costs, in embedded mode.

Run: ``.venv/bin/python benchmarks/bench_artifacts.py [n_tasks] [--rounds R]``.

- ``per task``: a flow of ``n_tasks`` trivial tasks, each creating a markdown artifact with a
  key, against the same flow whose tasks create none; (with - without) / n_tasks, best of
  ``rounds`` each, interleaved A B A B. The flow's wall time includes waiting for the
  write-behind queue at its end, so what the queue's thread does shows too.
- ``added CPU``: the same difference in the process's CPU time (every thread), which a loaded
  machine inflates less than wall time.
- ``call``: ``create_markdown_artifact`` called ``n_tasks`` times in a loop inside one flow.
- ``Variable.get``: one read of a variable, averaged over ``n_tasks`` reads.

Each figure comes from a fresh ``PRAEFECT_HOME`` (SQLite).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 2000
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    os.environ["PRAEFECT_HOME"] = tempfile.mkdtemp(prefix="bench-artifacts-")
    os.environ.setdefault("PRAEFECT_LOGGING_LEVEL", "WARNING")

    from praefect import flow, task
    from praefect.artifacts import create_markdown_artifact
    from praefect.variables import Variable

    @task
    def plain(i: int) -> int:
        return i

    @task
    def publishing(i: int) -> int:
        create_markdown_artifact(f"row {i}", key="bench-report")
        return i

    @flow
    def many(which: str) -> None:
        step = publishing if which == "with" else plain
        for i in range(n):
            step(i)

    @flow
    def calls() -> float:
        start = time.perf_counter()
        for i in range(n):
            create_markdown_artifact(f"row {i}", key="bench-calls")
        return time.perf_counter() - start

    many("without")  # warm up: imports, database, writer thread
    best = {"with": float("inf"), "without": float("inf")}
    cpu = {"with": float("inf"), "without": float("inf")}
    for _ in range(rounds):
        for which in ("without", "with"):
            start, start_cpu = time.perf_counter(), time.process_time()
            many(which)
            best[which] = min(best[which], time.perf_counter() - start)
            cpu[which] = min(cpu[which], time.process_time() - start_cpu)
    call = min(calls() for _ in range(rounds))

    Variable.set("bench_var", {"batch": 500}, overwrite=True)
    start = time.perf_counter()
    for _ in range(n):
        Variable.get("bench_var")
    get = (time.perf_counter() - start) / n

    print(f"tasks per flow: {n}, rounds: {rounds} (best of each)")
    print(f"flow without artifacts: {best['without'] * 1e6 / n:8.1f} us per task")
    print(f"flow with an artifact:  {best['with'] * 1e6 / n:8.1f} us per task")
    print(f"added per task:         {(best['with'] - best['without']) * 1e6 / n:8.1f} us")
    added_cpu = (cpu["with"] - cpu["without"]) * 1e6 / n
    print(f"added CPU per task:     {added_cpu:8.1f} us (all threads: the writer's work too)")
    print(f"create_markdown_artifact call: {call * 1e6 / n:8.1f} us")
    print(f"Variable.get:           {get * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
