#!/usr/bin/env python3
"""praefect vs Prefect 3 from the shared harness's records, as a markdown table with ratios and
the issue's targets.

Reads ``raw-<label>.jsonl`` written by ../shared/bench/run_anchors.py (or benchmarks/anchors.py)
and prints median (min–max, n) per side, ratio = Prefect / praefect (higher is better for
praefect) and whether each target is met::

    python3 benchmarks/compare.py /tmp/bench-results                      # labels praefect, prefect
    python3 benchmarks/compare.py /tmp/bench-results --a praefect --b prefect --json

Only runs that exited 0 and printed a record count. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys

# (row label, workload names (first present wins), source, key, unit, target ratio, aim ratio)
# source: "result" = the workload's JSON line, "run" = harness whole-process figures,
# "rss_total" = peak_rss_self_mb + live_children_rss_mb (client + e.g. ephemeral server).
ROWS = [
    ("cold `import`", ["import"], "result", "import_s", "s", 4, None),
    ("cold `import`, peak RSS", ["import"], "run", "peak_rss_mb", "MiB", None, None),
    ("one-task flow, whole process", ["hello"], "run", "wall_s", "s", 20, None),
    (
        "one-task flow, first flow call in process",
        ["hello"],
        "result",
        "first_flow_run_s",
        "s",
        None,
        None,
    ),
    ("empty flow run after warm-up", ["seq-1000"], "result", "empty_flow_s", "s", None, None),
    ("seq ×1,000: overhead per task", ["seq-1000"], "result", "per_task_ms", "ms", 50, 100),
    ("seq ×10,000: overhead per task", ["seq-10000"], "result", "per_task_ms", "ms", 50, 100),
    (
        "seq ×10,000: per task incl. flow finish (write-behind flush)",
        ["seq-10000"],
        "result",
        "per_task_ms_from_flow",
        "ms",
        None,
        None,
    ),
    ("seq ×10,000: peak RSS, whole process", ["seq-10000"], "run", "peak_rss_mb", "MiB", 4, None),
    (
        "seq ×10,000: RSS client + live children",
        ["seq-10000"],
        "rss_total",
        None,
        "MiB",
        None,
        None,
    ),
    (
        "submit ×1,000 + result: per task",
        ["submit-1000"],
        "result",
        "per_task_ms",
        "ms",
        None,
        None,
    ),
    ("map ×1,000 + result: per task", ["map-1000"], "result", "per_task_ms", "ms", None, None),
    (
        "subflow, each",
        ["nested-100", "nested-20", "nested-10"],
        "result",
        "per_subflow_ms",
        "ms",
        100,
        None,
    ),
    ("task call, no failure", ["retries"], "result", "task_call_no_failure_ms", "ms", None, None),
    (
        "task call with 2 retries (delay 0)",
        ["retries"],
        "result",
        "task_call_2_retries_ms",
        "ms",
        None,
        None,
    ),
    ("cache hit (INPUTS), per call", ["cache-1000x10"], "result", "per_call_ms", "ms", None, None),
]


def load(d: str, label: str) -> dict[str, list[dict]]:
    path = os.path.join(d, f"raw-{label}.jsonl")
    runs: dict[str, list[dict]] = {}
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("rc") != 0 or not r.get("result"):
                continue
            runs.setdefault(r["name"], []).append(r)
    return runs


def values(runs: dict[str, list[dict]], names: list[str], source: str, key: str | None):
    for name in names:
        rs = runs.get(name)
        if not rs:
            continue
        vals = []
        for r in rs:
            res = r["result"]
            if source == "run":
                v = r.get(key)
            elif source == "rss_total":
                a, b = res.get("peak_rss_self_mb"), res.get("live_children_rss_mb")
                v = None if a is None else a + (b or 0)
            else:
                v = res.get(key)
            if isinstance(v, (int, float)):
                vals.append(float(v))
        if vals:
            return name, vals
    return None, []


def fmt(v: float | None) -> str:
    if v is None:
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a >= 0.01:
        return f"{v:.3f}"
    return f"{v:.4f}"


def cell(vals: list[float]) -> str:
    if not vals:
        return "–"
    m = statistics.median(vals)
    if len(vals) == 1:
        return f"{fmt(m)} (n=1)"
    return f"{fmt(m)} ({fmt(min(vals))}–{fmt(max(vals))}, n={len(vals)})"


def compare(d: str, a: str = "praefect", b: str = "prefect") -> list[dict]:
    ra, rb = load(d, a), load(d, b)
    out = []
    for label, names, source, key, unit, target, aim in ROWS:
        na, va = values(ra, names, source, key)
        nb, vb = values(rb, names, source, key)
        ma = statistics.median(va) if va else None
        mb = statistics.median(vb) if vb else None
        ratio = (mb / ma) if (ma and mb and ma > 0) else None
        if target is None or ratio is None:
            met = None
        else:
            met = ratio >= target
        out.append(
            {
                "row": label,
                "unit": unit,
                "workload_a": na,
                "workload_b": nb,
                a: ma,
                b: mb,
                f"{a}_values": va,
                f"{b}_values": vb,
                "ratio": ratio,
                "target_ratio": target,
                "aim_ratio": aim,
                "met": met,
            }
        )
    return out


def markdown(rows: list[dict], a: str, b: str) -> str:
    lines = [
        f"| metric | {a} | {b} | ratio ({b}/{a}) | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = "–"
        if r["target_ratio"]:
            target = f"≥ {r['target_ratio']}×"
            if r["aim_ratio"]:
                target += f" (aim {r['aim_ratio']}×)"
        met = {None: "–", True: "**met**", False: "not met"}[r["met"]]
        if r["met"] and r["aim_ratio"] and r["ratio"] >= r["aim_ratio"]:
            met = "**met** (aim met)"
        unit = f" [{r['unit']}]" if r["unit"] else ""
        wa = r["workload_a"] or ""
        wb = r["workload_b"] or ""
        wl = f" ({wa}{'' if wa == wb else ' vs ' + wb})" if (wa or wb) else ""
        lines.append(
            f"| {r['row']}{unit}{wl} | {cell(r[a + '_values'])} | {cell(r[b + '_values'])} | "
            f"{'–' if r['ratio'] is None else fmt(r['ratio']) + '×'} | {target} | {met} |"
        )
    return "\n".join(lines)


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` is fine
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results_dir", nargs="?", default="/tmp/bench-results")
    ap.add_argument("--a", default="praefect", help="label of the praefect side")
    ap.add_argument("--b", default="prefect", help="label of the Prefect side")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of markdown")
    o = ap.parse_args()
    rows = compare(o.results_dir, o.a, o.b)
    if o.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print(markdown(rows, o.a, o.b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
