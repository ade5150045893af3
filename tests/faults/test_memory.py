"""T15 (a smaller soak): a flow's memory does not grow with the tasks it has finished, once
their results are persisted: the flow keeps references, not the results."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

RESULT_BYTES = 100_000
EARLY, LATE = 500, 1_500

SCRIPT = textwrap.dedent(
    f"""
    import gc
    import os

    from praefect import flow, task


    def rss_mb():
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024


    @task(persist_result=True)
    def blob(i: int) -> bytes:
        return os.urandom({RESULT_BYTES})


    @flow
    def many() -> None:
        for i in range(1, {LATE} + 1):
            blob(i)
            if i in ({EARLY}, {LATE}):
                gc.collect()
                print("rss", i, rss_mb(), flush=True)


    many()
    """
)


def test_memory_stays_flat_as_persisted_tasks_finish(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "soak.py"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script)],
        env={**cli_env, "PRAEFECT_LOGGING_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rss = {int(n): float(mb) for _, n, mb in (line.split() for line in result.stdout.splitlines())}
    held = (LATE - EARLY) * RESULT_BYTES / 2**20  # ~95 MB if the results were kept
    assert rss[LATE] - rss[EARLY] < held / 4, rss
