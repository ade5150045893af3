"""Resume of a paused run to its next line running (issue 13's target: <= 100 ms).

A flow pauses (``pause_flow_run``); as soon as it is Paused, it is resumed, and the latency is
the time its next line starts minus the time just before the resume call. Modes:

- ``thread``: resumed by ``resume_flow_run`` in a thread of the flow's process (embedded
  SQLite): the pause is woken at once;
- ``process``: resumed by another, warm process on the same SQLite file (as the UI's server or
  the CLI would): the pause sees it at its next look (every 50 ms);
- ``server``: the flow talks to a server on a loopback port, another process resumes it over
  HTTP: the pause looks every 100 ms in its first minute.

    .venv/bin/python benchmarks/bench_pause.py --mode process --runs 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

_RESUMER = """
import sys, time, uuid
import pydantic
import praefect.schemas.automations as automations
from praefect.client import get_orchestration_client
pydantic.TypeAdapter(automations.TriggerTypes)  # warm: a first state change imports these
client = get_orchestration_client()
client.read_flow_run(uuid.uuid4())
for line in sys.stdin:
    run_id = uuid.UUID(line.strip())
    started = time.perf_counter()
    client.resume_flow_run(run_id)
    print(started, flush=True)
"""


def _one_run(phase: float, resumer: subprocess.Popen[str] | None) -> float:
    """One pause resumed ``phase`` seconds after it began; the latency in milliseconds."""
    import praefect
    from praefect import flow
    from praefect.flow_runs import pause_flow_run, resume_flow_run
    from praefect.runtime import flow_run

    seen: dict[str, Any] = {}

    @flow
    def waits() -> None:
        seen["id"] = flow_run.id
        pause_flow_run(timeout=60, poll_interval=10)
        seen["next_line"] = time.perf_counter()

    def resume() -> None:
        with praefect.get_client(sync_client=True) as client:
            while not (seen.get("id") and client.read_flow_run(seen["id"]).state.is_paused()):
                time.sleep(0.005)
        time.sleep(phase)
        if resumer is None:
            seen["resumed"] = time.perf_counter()
            resume_flow_run(seen["id"])
        else:
            assert resumer.stdin is not None and resumer.stdout is not None
            resumer.stdin.write(f"{seen['id']}\n")
            resumer.stdin.flush()
            seen["resumed"] = float(resumer.stdout.readline())

    thread = threading.Thread(target=resume)
    thread.start()
    waits()
    thread.join()
    return (seen["next_line"] - seen["resumed"]) * 1000


def _measure(mode: str, runs: int) -> list[float]:
    resumer = None
    if mode != "thread":
        resumer = subprocess.Popen(
            [sys.executable, "-c", _RESUMER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
    # resumed at different phases of the pause's looks
    latencies = [_one_run(0.007 * (i % 8), resumer) for i in range(runs)]
    if resumer is not None:
        resumer.communicate("")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["thread", "process", "server"], default="thread")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("PRAEFECT_HOME", tempfile.mkdtemp(prefix="bench-pause-"))
    os.environ["PRAEFECT_LOGGING_LEVEL"] = "WARNING"
    from praefect import settings

    settings.reload_settings()
    if args.mode == "server":
        from praefect.server.background import BackgroundServer

        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        with BackgroundServer(database_url=url) as server:
            os.environ["PRAEFECT_API_URL"] = server.api_url
            settings.reload_settings()
            latencies = _measure(args.mode, args.runs)
    else:
        latencies = _measure(args.mode, args.runs)
    latencies.sort()
    p90 = latencies[max(0, int(len(latencies) * 0.9) - 1)]
    print(
        f"{args.mode}: p50 {statistics.median(latencies):.1f} ms, p90 {p90:.1f} ms, "
        f"max {latencies[-1]:.1f} ms ({len(latencies)} runs)"
    )


if __name__ == "__main__":
    main()
