#!/usr/bin/env python3
"""Core overhead benchmark of praefect: every figure from fresh processes, full persistence to the
embedded store in a temporary PRAEFECT_HOME (never ~/.praefect).

    .venv/bin/python benchmarks/bench_core.py            # full run (a few minutes)
    .venv/bin/python benchmarks/bench_core.py --quick    # fewer repetitions, smaller nesting
    .venv/bin/python benchmarks/bench_core.py --verbose  # + `python -X importtime` top offenders
    .venv/bin/python benchmarks/bench_core.py --json > core.jsonl   # JSON lines on stdout, table on stderr
    .venv/bin/python benchmarks/bench_core.py --compare /tmp/bench-results   # + Prefect column, ratios, targets

The workloads are the shared side-by-side yardstick, ../shared/bench/workloads.py, run with
ORCH=praefect (the same code measures Prefect with ORCH=prefect; see benchmarks/README.md). This
script adds what the yardstick lacks: whole-process wall time and peak RSS per process (wait4),
a one-task flow against a brand-new home, and a persistence check: after the seq ×10,000,
submit ×1,000, map ×1,000 and subflow workloads the runs of that flow run are counted in the
database, in the process right after the flow returns and again from a fresh process through
``praefect.get_client(sync_client=True)`` and straight from the SQLite file. A benchmark that does
not persist is not a benchmark.

Timing never fails the script. The exit status is 1 only when a workload crashed or runs were
missing from the database, else 0.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BENCH_DIR = os.environ.get(
    "BENCH_DIR", os.path.normpath(os.path.join(REPO, "..", "shared", "bench"))
)
WORKLOADS = os.path.join(BENCH_DIR, "workloads.py")
LIB = os.environ.get("ORCH", "praefect")


# =============================================================== child side (fresh processes)
def _flow_run_id(mod) -> str | None:
    """Id of the flow run executing in this thread (Prefect-compatible context API)."""
    try:
        ctx = importlib.import_module(LIB + ".context").get_run_context()
        return str(ctx.flow_run.id)
    except Exception:
        pass
    try:
        return str(importlib.import_module(LIB + ".runtime").flow_run.id)
    except Exception:
        return None


def _filters():
    return importlib.import_module(LIB + ".client.schemas.filters")


def _state_type(run) -> str | None:
    st = getattr(run, "state_type", None)
    if st is None and getattr(run, "state", None) is not None:
        st = run.state.type
    return None if st is None else str(getattr(st, "value", st))


def _page(read, limit_total: int, page: int = 200) -> list:
    out: list = []
    offset = 0
    while offset <= limit_total:
        rows = read(limit=page, offset=offset)
        if not rows:
            break
        out.extend(rows)
        if len(rows) < page:
            break
        offset += page
    return out


def api_count(mod, flow_run_id: str | None, subflow_name: str | None, expect: int) -> dict:
    """Count through praefect.get_client(sync_client=True): task runs of a flow run, or flow runs
    of a flow (the subflows). Returns counts or an error string; never raises."""
    t0 = time.perf_counter()
    try:
        F = _filters()
        with mod.get_client(sync_client=True) as c:
            if subflow_name:
                ff = F.FlowFilter(name=F.FlowFilterName(any_=[subflow_name]))
                rows = _page(lambda **kw: c.read_flow_runs(flow_filter=ff, **kw), expect * 2)
            else:
                frf = F.FlowRunFilter(id=F.FlowRunFilterId(any_=[uuid.UUID(flow_run_id)]))
                rows = _page(lambda **kw: c.read_task_runs(flow_run_filter=frf, **kw), expect * 2)
            flow_state = None
            if flow_run_id:
                try:
                    flow_state = _state_type(c.read_flow_run(uuid.UUID(flow_run_id)))
                except Exception as e:  # reported, not fatal
                    flow_state = f"error: {type(e).__name__}: {e}"
        return {
            "method": "get_client",
            "count": len(rows),
            "distinct": len({str(r.id) for r in rows}),
            "completed": sum(1 for r in rows if _state_type(r) == "COMPLETED"),
            "flow_run_state": flow_state,
            "count_s": time.perf_counter() - t0,
        }
    except Exception as e:
        import traceback

        return {
            "method": "get_client",
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc()[-3000:],
            "count_s": time.perf_counter() - t0,
        }


def child_persist(a) -> None:
    """The yardstick's seq/submit/map/nested loop (same helpers as workloads.py), plus the flow run
    id, then a count of what reached the database at flow return."""
    sys.path.insert(0, BENCH_DIR)
    os.environ.setdefault("ORCH", LIB)
    import workloads as W  # the shared yardstick's helpers

    mod, import_s = W._load()
    flow, task, inc, empty_flow, t_first, t_empty = W._common(mod)
    n, kind = a.n, a.kind
    seen: dict = {}
    subflow_name = None

    if kind == "seq":

        @flow
        def bench_flow(n):
            seen["id"] = _flow_run_id(mod)
            t0 = W._now()
            s = 0
            for i in range(n):
                s += inc(i)
            return s, W._now() - t0
    elif kind in ("submit", "map"):

        @flow
        def bench_flow(n):
            seen["id"] = _flow_run_id(mod)
            t0 = W._now()
            futs = (
                [inc.submit(i) for i in range(n)] if kind == "submit" else inc.map(list(range(n)))
            )
            r = sum(f.result() for f in futs)
            return r, W._now() - t0
    elif kind == "nested":
        subflow_name = f"bench-subflow-{uuid.uuid4().hex[:12]}"

        def _child(x):
            return x + 1

        child = flow(name=subflow_name)(_child)

        @flow
        def bench_flow(n):
            seen["id"] = _flow_run_id(mod)
            t0 = W._now()
            s = 0
            for i in range(n):
                s += child(i)
            return s, W._now() - t0
    else:
        raise SystemExit(f"unknown kind {kind}")

    t_plain, expect = W._median_timed(3, W._plain_seq, n)
    t, (r, body) = W._timed(bench_flow, n)
    assert r == expect, (r, expect)
    t_ret = time.perf_counter()
    count = api_count(mod, seen.get("id"), subflow_name, n)
    out = {
        "child": "persist",
        "kind": kind,
        "n": n,
        "lib": LIB,
        "lib_version": getattr(mod, "__version__", None),
        "import_s": import_s,
        "first_empty_flow_s": t_first,
        "empty_flow_s": t_empty,
        "plain_python_s": t_plain,
        "flow_s": t,
        "body_s": body,
        ("per_subflow_ms" if kind == "nested" else "per_task_ms"): (
            body - (0 if kind == "nested" else t_plain)
        )
        / n
        * 1e3,
        "flow_run_id": seen.get("id"),
        "subflow_name": subflow_name,
        "at_return": count,
        "at_return_after_s": time.perf_counter() - t_ret,
    }
    import resource

    out["peak_rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out), flush=True)


def child_count(a) -> None:
    mod = importlib.import_module(LIB)
    out = api_count(mod, a.flow_run_id, a.subflow_name, a.n)
    out["child"] = "count"
    print(json.dumps(out), flush=True)


# =============================================================== parent side
def run_proc(argv: list[str], env: dict, timeout: float, log_path: str) -> dict:
    """One fresh process: wall time (Popen .. wait4), peak RSS (ru_maxrss), its JSON line, and the
    tail of its stderr when it failed. Killed (process group) after `timeout` seconds."""
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, start_new_session=True)
    timed_out = threading.Event()

    def _kill():
        timed_out.set()
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass

    timer = threading.Timer(timeout, _kill)
    timer.start()
    try:
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - t0
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    err.seek(0)
    errtext = err.read().decode(errors="replace")
    err.close()
    with open(log_path, "a") as f:
        f.write(f"\n===== {' '.join(argv)} rc={rc} wall={wall:.2f}s\n{errtext}")
    rec = None
    for line in out.decode(errors="replace").splitlines()[::-1]:
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
                break
            except ValueError:
                pass
    r = {
        "rc": rc,
        "wall_s": wall,
        "peak_rss_mb": ru.ru_maxrss / 1024.0,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "result": rec,
        "timed_out": timed_out.is_set(),
    }
    if rc != 0 or rec is None:
        r["stderr_tail"] = "\n".join(errtext.splitlines()[-40:])
    return r


def sqlite_count(home: str, flow_run_id: str | None, subflow_name: str | None) -> dict:
    """Count straight from the SQLite file under PRAEFECT_HOME (no praefect import)."""
    try:
        dbs = [p for p in glob.glob(os.path.join(home, "**", "*.db"), recursive=True)]
        if not dbs:
            return {"method": "sqlite", "error": f"no *.db under {home}"}
        db = max(dbs, key=os.path.getsize)
        con = sqlite3.connect(db, timeout=30)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }

            def cols(t):
                return {r[1] for r in con.execute(f'PRAGMA table_info("{t}")')}

            def ids(v):
                return [v, v.replace("-", "")]

            if subflow_name:
                if not {"flow", "flow_run"} <= tables:
                    return {"method": "sqlite", "db": db, "error": f"tables: {sorted(tables)}"}
                rows = con.execute(
                    "SELECT fr.state_type FROM flow_run fr JOIN flow f ON fr.flow_id = f.id "
                    "WHERE f.name = ?",
                    (subflow_name,),
                ).fetchall()
            else:
                if "task_run" not in tables or "flow_run_id" not in cols("task_run"):
                    return {"method": "sqlite", "db": db, "error": f"tables: {sorted(tables)}"}
                st = "state_type" if "state_type" in cols("task_run") else "NULL"
                rows = []
                for v in ids(flow_run_id or ""):
                    rows = con.execute(
                        f"SELECT {st} FROM task_run WHERE flow_run_id = ?", (v,)
                    ).fetchall()
                    if rows:
                        break
            flow_state = None
            if flow_run_id and "flow_run" in tables and "state_type" in cols("flow_run"):
                for v in ids(flow_run_id):
                    row = con.execute(
                        "SELECT state_type FROM flow_run WHERE id = ?", (v,)
                    ).fetchone()
                    if row:
                        flow_state = row[0]
                        break
            return {
                "method": "sqlite",
                "db": os.path.relpath(db, home),
                "count": len(rows),
                "completed": sum(1 for (s,) in rows if str(s).upper().endswith("COMPLETED")),
                "flow_run_state": flow_state,
            }
        finally:
            con.close()
    except Exception as e:
        return {"method": "sqlite", "error": f"{type(e).__name__}: {e}"}


def importtime(python: str, env: dict, top: int = 15) -> dict:
    p = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {LIB}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = []
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            _, rest = line.split(":", 1)
            self_us, cum_us, name = rest.split("|", 2)
            rows.append((int(self_us), int(cum_us), name.rstrip()))
        except ValueError:
            continue
    by_cum = sorted(rows, key=lambda r: -r[1])[:top]
    by_self = sorted(rows, key=lambda r: -r[0])[:top]
    return {
        "modules": len(rows),
        "total_cum_us": max((r[1] for r in rows), default=0),
        "by_cumulative": by_cum,
        "by_self": by_self,
    }


class Bench:
    def __init__(self, o):
        self.o = o
        self.python = o.python
        self.home = tempfile.mkdtemp(prefix="praefect-bench-home-")
        self.logdir = tempfile.mkdtemp(prefix="praefect-bench-logs-")
        env = dict(os.environ)
        for k in list(env):
            if k.startswith(("PRAEFECT_", "PREFECT_")):
                del env[k]  # the embedded store in a fresh home, default settings
        env.update({"ORCH": LIB, "PRAEFECT_HOME": self.home, "PYTHONUNBUFFERED": "1"})
        if not o.no_pyc_cache:
            # Measure what an installed praefect costs: an installed package has .pyc files (pip
            # compiles them), a checkout run with PYTHONDONTWRITEBYTECODE=1 recompiles every
            # module in every process. Byte code goes to a cache outside the repository.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = o.pycache

        self.env = env
        # warm-ups run against another home, so the measured home starts empty
        self.home_warmup = tempfile.mkdtemp(prefix="praefect-bench-home-warmup-")
        self.env_other_home = dict(env, PRAEFECT_HOME=self.home_warmup)
        self.records: list[dict] = []  # one per measured metric
        self.errors: list[dict] = []
        self.persist: list[dict] = []
        self.runs: dict[str, list[dict]] = {}

    def log(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ running
    def workload(
        self, name: str, argv: list[str], reps: int, env: dict | None = None
    ) -> list[dict]:
        ok = []
        for i in range(reps):
            r = run_proc(
                [self.python, WORKLOADS] + argv,
                env or self.env,
                self.o.timeout,
                os.path.join(self.logdir, f"{name}.log"),
            )
            r["name"] = name
            if r["rc"] != 0 or not r["result"]:
                self.errors.append(
                    {
                        "workload": name,
                        "argv": argv,
                        "rc": r["rc"],
                        "timed_out": r["timed_out"],
                        "stderr_tail": r.get("stderr_tail"),
                    }
                )
                self.log(
                    f"  {name} rep {i}: FAILED rc={r['rc']}"
                    f"{' (timed out)' if r['timed_out'] else ''}"
                )
                if i == 0:
                    break  # it will fail the same way again; don't burn the time budget
                continue
            ok.append(r)
            self.log(f"  {name} rep {i}: wall {r['wall_s']:.2f}s, rss {r['peak_rss_mb']:.0f} MiB")
        self.runs.setdefault(name, []).extend(ok)
        return ok

    def persist_check(self, kind: str, n: int) -> None:
        name = f"persist-{kind}-{n}"
        r = run_proc(
            [
                self.python,
                os.path.abspath(__file__),
                "--child",
                "persist",
                "--kind",
                kind,
                "--n",
                str(n),
            ],
            self.env,
            self.o.timeout,
            os.path.join(self.logdir, f"{name}.log"),
        )
        res = r["result"] or {}
        entry = {
            "name": name,
            "kind": kind,
            "n": n,
            "rc": r["rc"],
            "wall_s": r["wall_s"],
            "peak_rss_mb": r["peak_rss_mb"],
            "child": res,
        }
        if r["rc"] != 0 or not res:
            entry["error"] = r.get("stderr_tail") or "no JSON line"
            self.errors.append(
                {
                    "workload": name,
                    "rc": r["rc"],
                    "timed_out": r["timed_out"],
                    "stderr_tail": r.get("stderr_tail"),
                }
            )
            self.persist.append(entry)
            self.log(f"  {name}: FAILED rc={r['rc']}")
            return
        fr_id, sub = res.get("flow_run_id"), res.get("subflow_name")
        c = run_proc(
            [self.python, os.path.abspath(__file__), "--child", "count", "--n", str(n)]
            + (["--flow-run-id", fr_id] if fr_id else [])
            + (["--subflow-name", sub] if sub else []),
            self.env,
            self.o.timeout,
            os.path.join(self.logdir, f"{name}-count.log"),
        )
        entry["after_exit_api"] = c["result"] or {"error": c.get("stderr_tail") or f"rc={c['rc']}"}
        entry["after_exit_sqlite"] = sqlite_count(self.home, fr_id, sub)
        counts = [
            d.get("count")
            for d in (
                res.get("at_return") or {},
                entry["after_exit_api"],
                entry["after_exit_sqlite"],
            )
        ]
        entry["complete"] = any(x == n for x in counts[1:]) and not any(
            isinstance(x, int) and x != n for x in counts[1:]
        )
        if not entry["complete"]:
            self.errors.append(
                {
                    "workload": name,
                    "persistence": counts,
                    "expected": n,
                    "details": {k: entry.get(k) for k in ("after_exit_api", "after_exit_sqlite")},
                }
            )
        self.persist.append(entry)
        self.log(f"  {name}: counts at return/api/sqlite = {counts} (expected {n})")

    # ------------------------------------------------------------------ metrics
    def add(
        self,
        metric: str,
        name: str,
        source: str,
        key: str,
        unit: str,
        note: str = "",
        better: str = "lower",
    ) -> None:
        vals = []
        for r in self.runs.get(name, []):
            v = r.get(key) if source == "run" else (r["result"] or {}).get(key)
            if isinstance(v, (int, float)):
                vals.append(float(v))
        rec = {
            "metric": metric,
            "workload": name,
            "key": key,
            "source": source,
            "unit": unit,
            "median": statistics.median(vals) if vals else None,
            "min": min(vals) if vals else None,
            "max": max(vals) if vals else None,
            "n": len(vals),
            "values": vals,
            "note": note,
            "better": better,
        }
        self.records.append(rec)

    def run(self) -> int:
        o = self.o
        q = o.quick
        reps = {"import": 3 if q else 7, "hello": 2 if q else 5, "loop": 1 if q else 3}
        n_nested = 20 if q else 100
        self.log(f"praefect core benchmark: home={self.home} python={self.python}")
        self.log(f"yardstick: {WORKLOADS}")
        if not os.path.exists(WORKLOADS):
            self.log(f"missing {WORKLOADS}: set BENCH_DIR to the shared bench folder")
            return 2

        t_start = time.perf_counter()
        self.log("byte code warm-up (not recorded):")
        self.workload("import-warmup", ["import"], 1, env=self.env_other_home)
        self.workload("hello-warmup", ["hello"], 1, env=self.env_other_home)
        self.log("one-task flow, brand-new home (creates the database):")
        self.workload("hello-fresh-home", ["hello"], 1)
        self.log("cold import:")
        self.workload("import", ["import"], reps["import"])
        self.log("one-task flow, whole process:")
        self.workload("hello", ["hello"], reps["hello"])
        self.log("sequential tasks:")
        self.workload("seq-1000", ["seq", "--n", "1000"], reps["loop"])
        self.workload("seq-10000", ["seq", "--n", "10000"], reps["loop"])
        self.log("submit / map / subflows / retries / cache:")
        self.workload("submit-1000", ["submit", "--n", "1000"], reps["loop"])
        self.workload("map-1000", ["map", "--n", "1000"], reps["loop"])
        self.workload(f"nested-{n_nested}", ["nested", "--n", str(n_nested)], reps["loop"])
        self.workload("retries", ["retries", "--reps", "5"], reps["loop"])
        self.workload("cache-1000x10", ["cache", "--n", "1000", "--distinct", "10"], reps["loop"])
        self.log("persistence checks:")
        self.persist_check("seq", 10000)
        self.persist_check("submit", 1000)
        self.persist_check("map", 1000)
        self.persist_check("nested", n_nested)
        self.imptime = None
        if o.verbose:
            self.log("python -X importtime:")
            try:
                self.imptime = importtime(self.python, self.env)
            except Exception as e:
                self.imptime = {"error": f"{type(e).__name__}: {e}"}
        self.elapsed = time.perf_counter() - t_start

        a = self.add
        nn = f"nested-{n_nested}"
        a("cold import (in process)", "import", "result", "import_s", "s")
        a(
            "cold import, whole process",
            "import",
            "run",
            "wall_s",
            "s",
            "interpreter start + import + exit",
        )
        a("cold import, peak RSS", "import", "run", "peak_rss_mb", "MiB")
        a("one-task flow, whole process", "hello", "run", "wall_s", "s", "existing database")
        a("one-task flow, first flow call", "hello", "result", "first_flow_run_s", "s")
        a("one-task flow, peak RSS", "hello", "run", "peak_rss_mb", "MiB")
        a(
            "one-task flow, whole process, new home",
            "hello-fresh-home",
            "run",
            "wall_s",
            "s",
            "creates + migrates the database",
        )
        a("empty flow run (warm)", "seq-1000", "result", "empty_flow_s", "s")
        a("first flow run in process", "seq-1000", "result", "first_empty_flow_s", "s")
        a(
            "seq ×1,000: overhead per task",
            "seq-1000",
            "result",
            "per_task_ms",
            "ms",
            "(loop in flow − plain loop) / n",
        )
        a("seq ×1,000: tasks/s", "seq-1000", "result", "tasks_per_s", "/s", better="higher")
        a("seq ×10,000: overhead per task", "seq-10000", "result", "per_task_ms", "ms")
        a("seq ×10,000: tasks/s", "seq-10000", "result", "tasks_per_s", "/s", better="higher")
        a(
            "seq ×10,000: per task incl. flow finish",
            "seq-10000",
            "result",
            "per_task_ms_from_flow",
            "ms",
            "(flow call − empty flow − plain loop) / n",
        )
        a("seq ×10,000: flow call incl. start/finish", "seq-10000", "result", "flow_s", "s")
        a("seq ×10,000: peak RSS, whole process", "seq-10000", "run", "peak_rss_mb", "MiB")
        a("submit ×1,000 + result: per task", "submit-1000", "result", "per_task_ms", "ms")
        a("map ×1,000 + result: per task", "map-1000", "result", "per_task_ms", "ms")
        a(f"subflow ×{n_nested}: each", nn, "result", "per_subflow_ms", "ms")
        a("task call, no failure", "retries", "result", "task_call_no_failure_ms", "ms")
        a("task call with 2 retries (delay 0)", "retries", "result", "task_call_2_retries_ms", "ms")
        a("cache hit (INPUTS): per call", "cache-1000x10", "result", "per_call_ms", "ms")
        a(
            "cache: function executions (expect 10)",
            "cache-1000x10",
            "result",
            "function_executions",
            "",
            better="none",
        )

        self.compare = {}
        if o.compare:
            try:
                sys.path.insert(0, HERE)
                import compare as C

                prefect_runs = C.load(o.compare, o.compare_label)
                for rec in self.records:
                    names = [rec["workload"]]
                    if rec["workload"].startswith("nested-"):
                        names += ["nested-100", "nested-20", "nested-10"]
                    _, vals = C.values(prefect_runs, names, rec["source"], rec["key"])
                    if vals:
                        rec["prefect_median"] = statistics.median(vals)
                        rec["prefect_n"] = len(vals)
                        m, pm = rec["median"], rec["prefect_median"]
                        if m and pm and rec["better"] == "lower":
                            rec["ratio"] = pm / m  # how many times less time/memory than Prefect
                        elif m and pm and rec["better"] == "higher":
                            rec["ratio"] = m / pm
            except Exception as e:
                self.log(f"--compare failed: {type(e).__name__}: {e}")
        self.report()
        shutil.rmtree(self.home_warmup, ignore_errors=True)
        if not o.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)
        return 1 if self.errors else 0

    # ------------------------------------------------------------------ output
    def report(self) -> None:
        o = self.o
        out_table = sys.stderr if o.json else sys.stdout
        try:
            from rich.console import Console
            from rich.table import Table

            console = Console(file=out_table, width=max(150, shutil.get_terminal_size().columns))
        except ImportError:  # plain text fallback
            console = None

        def f(v, unit=""):
            if v is None:
                return "–"
            a = abs(v)
            s = (
                f"{v:.0f}"
                if a >= 100
                else f"{v:.1f}"
                if a >= 10
                else f"{v:.2f}"
                if a >= 1
                else f"{v:.3f}"
                if a >= 0.01
                else f"{v:.4f}"
            )
            return f"{s} {unit}".rstrip()

        title = (
            f"praefect core benchmark ({'quick' if o.quick else 'full'}; "
            f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
            f"{time.strftime('%Y-%m-%d %H:%M')}; {self.elapsed:.0f} s; "
            f"{'PYTHONDONTWRITEBYTECODE as set' if o.no_pyc_cache else '.pyc cached'})"
        )
        cols = ["metric", "median", "min–max", "n", "note"]
        if o.compare:
            cols[4:4] = [f"Prefect ({o.compare_label})", "× better"]
        rows = []
        for r in self.records:
            row = [
                r["metric"],
                f(r["median"], r["unit"]),
                "–" if r["min"] is None else f"{f(r['min'])}–{f(r['max'])}",
                str(r["n"]),
            ]
            if o.compare:
                row += [
                    f(r.get("prefect_median"), r["unit"]),
                    "–" if r.get("ratio") is None else f"{r['ratio']:.1f}×",
                ]
            row.append(r["note"])
            rows.append(row)

        prow = []
        for e in self.persist:
            c = e.get("child") or {}
            ar, ap, sq = (
                c.get("at_return") or {},
                e.get("after_exit_api") or {},
                e.get("after_exit_sqlite") or {},
            )

            def cnt(d):
                if not d:
                    return "– (crashed)"
                if "error" in d:
                    return "error: " + str(d["error"])[:60]
                s = f"{d.get('count')}"
                if d.get("completed") is not None:
                    s += (
                        " all Completed"
                        if d["completed"] == d.get("count")
                        else f" ({d['completed']} Completed)"
                    )
                return s

            per = c.get("per_task_ms", c.get("per_subflow_ms"))
            prow.append(
                [
                    e["name"].removeprefix("persist-"),
                    str(e["n"]),
                    cnt(ar),
                    cnt(ap),
                    cnt(sq),
                    str(ap.get("flow_run_state") or sq.get("flow_run_state") or "–"),
                    f(per, "ms"),
                    f(e.get("peak_rss_mb"), "MiB"),
                    "yes" if e.get("complete") else "NO",
                ]
            )
        pcols = [
            "workload",
            "expected",
            "at flow return",
            "after exit: get_client",
            "after exit: sqlite",
            "flow run",
            "per task/subflow",
            "peak RSS",
            "all stored",
        ]

        if console:
            t = Table(title=title, title_justify="left")
            for c in cols:
                t.add_column(c, justify="right" if c not in ("metric", "note") else "left")
            for row in rows:
                t.add_row(*row)
            console.print(t)
            pt = Table(
                title="persistence: runs of that flow run found in the database "
                "(task runs; for nested: subflow runs)",
                title_justify="left",
            )
            for c in pcols:
                pt.add_column(c)
            for row in prow:
                pt.add_row(*row)
            console.print(pt)
        else:
            print(title, file=out_table)
            for row in [cols] + rows + [[]] + [pcols] + prow:
                print(" | ".join(row), file=out_table)

        if self.imptime:
            it = self.imptime
            print(
                f"\n-X importtime: {it.get('modules')} modules, "
                f"{(it.get('total_cum_us') or 0) / 1e3:.0f} ms cumulative (largest top-level)",
                file=out_table,
            )
            if "error" in it:
                print(it["error"], file=out_table)
            for label, key in (("by cumulative", "by_cumulative"), ("by self", "by_self")):
                print(f"  top {label} [ms self / cumulative]:", file=out_table)
                for s, cu, name in it.get(key, []):
                    print(f"    {s / 1e3:8.1f} {cu / 1e3:8.1f}  {name}", file=out_table)

        if self.errors:
            print(f"\n{len(self.errors)} problem(s):", file=out_table)
            shown: set[str] = set()
            for e in self.errors:
                print(
                    json.dumps({k: v for k, v in e.items() if k != "stderr_tail"}, default=str),
                    file=out_table,
                )
                tail = e.get("stderr_tail")
                last = tail.strip().splitlines()[-1] if tail and tail.strip() else ""
                if last and last in shown:
                    print(f"    {last}  (traceback as above)", file=out_table)
                elif tail:
                    shown.add(last)
                    print("    " + tail.replace("\n", "\n    "), file=out_table)
        print(
            f"\nlogs: {self.logdir}" + (f"; home kept: {self.home}" if o.keep_home else ""),
            file=out_table,
        )

        if o.json:
            meta = {
                "bench": "praefect-core",
                "quick": o.quick,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "elapsed_s": self.elapsed,
            }
            for r in self.records:
                print(json.dumps({**meta, "kind": "metric", **r}), flush=True)
            for e in self.persist:
                print(json.dumps({**meta, "kind": "persistence", **e}, default=str), flush=True)
            if self.imptime:
                print(json.dumps({**meta, "kind": "importtime", **self.imptime}), flush=True)
            for e in self.errors:
                print(json.dumps({**meta, "kind": "error", **e}, default=str), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 20 subflows")
    ap.add_argument(
        "--verbose", action="store_true", help="also `python -X importtime` top offenders"
    )
    ap.add_argument(
        "--json", action="store_true", help="JSON lines on stdout (table goes to stderr)"
    )
    ap.add_argument("--python", default=sys.executable, help="interpreter for the fresh processes")
    ap.add_argument(
        "--timeout", type=float, default=900, help="seconds per process before it is killed"
    )
    ap.add_argument("--keep-home", action="store_true", help="keep the temporary PRAEFECT_HOME")
    ap.add_argument(
        "--pycache",
        default=os.path.join(tempfile.gettempdir(), "praefect-bench-pycache"),
        help="PYTHONPYCACHEPREFIX for the children (byte code written outside the repository)",
    )
    ap.add_argument(
        "--no-pyc-cache",
        action="store_true",
        help="leave PYTHONDONTWRITEBYTECODE/PYTHONPYCACHEPREFIX as they are (every process may "
        "then compile praefect from source)",
    )
    ap.add_argument(
        "--compare", metavar="DIR", help="run_anchors.py results dir with the Prefect side"
    )
    ap.add_argument(
        "--compare-label", default="prefect", help="label of the Prefect records in DIR"
    )
    # child modes (internal)
    ap.add_argument("--child", choices=["persist", "count"], help=argparse.SUPPRESS)
    ap.add_argument("--kind", default="seq", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--flow-run-id", help=argparse.SUPPRESS)
    ap.add_argument("--subflow-name", help=argparse.SUPPRESS)
    o = ap.parse_args()
    if o.child == "persist":
        child_persist(o)
        return 0
    if o.child == "count":
        child_count(o)
        return 0
    try:
        return Bench(o).run()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
