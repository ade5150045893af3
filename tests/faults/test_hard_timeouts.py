"""T10: a sync task that overruns ``timeout_seconds`` ends TimedOut, and the attempt that timed
out is stopped: its code does not go on to write anything after its deadline, whether it was
spinning in Python or blocked in a C call, and the retry's result stays the run's result."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import praefect
from praefect import flow, task


def test_a_timed_out_attempt_is_stopped_and_cannot_write_late(tmp_path: Path) -> None:
    late = tmp_path / "late-writes"
    attempts: list[str] = []
    threads: list[threading.Thread] = []

    @task(timeout_seconds=0.5, retries=2, retry_delay_seconds=0)
    def overrun(kind: str) -> str:
        attempts.append(kind)
        threads.append(threading.current_thread())
        if len(attempts) == 1 and kind == "python":
            while True:  # pure Python: stopped at its next bytecode
                pass
        if len(attempts) == 1:
            time.sleep(2)  # a C call: stopped as soon as it returns
        if len(attempts) == 1:
            late.write_text(f"{kind}: the timed-out attempt went on")
        return f"{kind} done by attempt {len(attempts)}"

    @flow
    def job(kind: str) -> str:
        return overrun(kind)

    for kind in ("python", "sleep"):
        attempts.clear()
        threads.clear()
        assert job(kind) == f"{kind} done by attempt 2"
        threads[0].join(10)  # the blocked call returns after 2 s
        assert not threads[0].is_alive()  # the timed-out attempt was stopped
        assert not late.exists(), late.read_text()
        assert attempts == [kind, kind]

    with praefect.get_client(sync_client=True) as client:
        task_runs = client.read_task_runs()
        assert len(task_runs) == 2
        for task_run in task_runs:
            history = client.read_task_run_states(task_run.id)
            assert [s.name for s in history] == [
                "Pending",
                "Running",
                "AwaitingRetry",
                "Retrying",
                "Completed",
            ]
            assert "exceeded timeout of 0.5 second(s)" in (history[2].message or "")
            assert task_run.state_name == "Completed"  # the late attempt changed nothing
