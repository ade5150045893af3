"""A worker process for the claiming test: its "infrastructure" notes the run in a file and
finishes it at once (Running, then Completed), so two of them can race for many runs quickly.

Usage: python claiming_worker.py POOL OUT_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from praefect import states
from praefect.client.schemas import filters
from praefect.workers.base import BaseWorker


class RecordingWorker(BaseWorker):
    type = "process"

    def __init__(self, pool: str, out: Path) -> None:
        super().__init__(pool, prefetch_seconds=0, query_seconds=0.01)
        self.out = out

    def run(self, flow_run: Any, configuration: Any) -> tuple[str, Any]:
        with self.out.open("a") as fh:
            fh.write(f"{flow_run.id}\n")
        return f"recorded:{flow_run.id}", flow_run.id

    def wait(self, handle: Any) -> int:
        self.client.set_flow_run_state(handle, states.Running())
        self.client.set_flow_run_state(handle, states.Completed())
        return 0

    def kill_infrastructure(self, handle: Any, grace_seconds: float) -> None:
        return None


def main() -> None:
    pool, out = sys.argv[1], Path(sys.argv[2])
    worker = RecordingWorker(pool, out)
    worker.sync_with_backend()
    scheduled = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=["SCHEDULED"]))
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        worker.get_and_submit_flow_runs()
        if worker.client.count_flow_runs(flow_run_filter=scheduled) == 0:
            break
    worker.wait_for_runs(timeout=30)


if __name__ == "__main__":
    main()
