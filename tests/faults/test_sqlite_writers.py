"""T14: 50 concurrent writers on the embedded SQLite store (5 processes of 10 threads, each
running flows of tasks at once): no "database is locked" reaches the user or the logs, and every
run is recorded."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROCESSES = 5
THREADS = 10
TASKS = 5

SCRIPT = textwrap.dedent(
    f"""
    import threading

    from praefect import flow, task


    @task
    def step(i: int) -> int:
        return i


    @flow
    def writer(n: int) -> int:
        return sum(step(i) for i in range(n))


    results = []
    threads = [
        threading.Thread(target=lambda: results.append(writer({TASKS})))
        for _ in range({THREADS})
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [{sum(range(TASKS))}] * {THREADS}, results
    """
)


def test_fifty_concurrent_writers_never_see_database_is_locked(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "writers.py"
    script.write_text(SCRIPT)
    processes = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [p.returncode for p in processes] == [0] * PROCESSES, "\n".join(outputs)
    assert not any("locked" in output.lower() for output in outputs), "\n".join(outputs)

    import praefect

    with praefect.get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=1000)
        assert len(runs) == PROCESSES * THREADS
        assert {run.state_name for run in runs} == {"Completed"}
        assert client.count_task_runs() == PROCESSES * THREADS * TASKS
