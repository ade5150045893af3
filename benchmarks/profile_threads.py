#!/usr/bin/env python3
"""cProfile of the sequential workload in every thread, not only the main one.

../shared/bench/profile_seq.py profiles the main thread only; praefect's write-behind writer
commits task runs on its own thread (and the main thread then waits for it in ``flush`` at flow
end), so this one also profiles each thread started during the run, and prints, per thread, the
top entries by own time. Same workload as profile_seq.py: one warm-up flow, then a flow calling a
task N times in sequence::

    ORCH=praefect PRAEFECT_HOME=$(mktemp -d) .venv/bin/python benchmarks/profile_threads.py --n 2000
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import os
import pstats
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=2000)
ap.add_argument("--top", type=int, default=25)
ap.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
a = ap.parse_args()

profiles: list[tuple[str, cProfile.Profile]] = []
_orig_run = threading.Thread.run


def _profiled_run(self):  # every thread started from here on is profiled
    p = cProfile.Profile()
    profiles.append((self.name, p))
    p.enable()
    try:
        _orig_run(self)
    finally:
        p.disable()


threading.Thread.run = _profiled_run

lib = importlib.import_module(os.environ.get("ORCH", "praefect"))


def inc_raw(x):
    return x + 1


inc = lib.task(inc_raw)


@lib.flow
def empty_flow():
    return 0


@lib.flow
def seq_flow(n):
    s = 0
    for i in range(n):
        s += inc(i)
    return s


empty_flow()  # warm-up: store open, writer thread started
for _, p in profiles:  # count only what the measured flow causes
    p.clear()
main = cProfile.Profile()
t0 = time.perf_counter()
main.enable()
seq_flow(a.n)
main.disable()
dt = time.perf_counter() - t0
print(
    f"# seq_flow({a.n}) under cProfile (all threads): {dt:.2f} s wall, {dt / a.n * 1e3:.3f} ms/task"
)
for name, p in [("MainThread", main)] + profiles:
    s = io.StringIO()
    try:
        st = pstats.Stats(p, stream=s)
    except TypeError:  # a thread that recorded nothing
        continue
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    st.strip_dirs().sort_stats(a.sort).print_stats(a.top)
    print(f"\n## thread {name}: {total:.3f} s own time recorded, sorted by {a.sort}\n")
    print(s.getvalue())
