"""A run in progress is visible to the CLI from another process, as Running, with a duration."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_a_running_flow_shows_as_running_then_completed(run_cli, praefect_home, tmp_path, cli_env):
    signals = tmp_path / "signals"
    signals.mkdir()
    script = subprocess.Popen(
        [sys.executable, str(HERE / "flow_that_waits.py"), str(signals)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (signals / "started").exists():
            assert script.poll() is None, "the flow script exited before its flow started"
            assert time.monotonic() < deadline, "the flow did not start within 60 s"
            time.sleep(0.05)
        run_id = (signals / "started").read_text()

        running = run_cli("flow-run", "ls", "--state", "running", "-o", "json", home=praefect_home)
        assert running.code == 0, running.output
        assert [r["id"] for r in running.json()] == [run_id]
        table = run_cli("flow-run", "ls", home=praefect_home).stdout
        line = next(line for line in table.splitlines() if run_id in line)
        assert "Running" in line and "cli-waiting" in line
    finally:
        (signals / "release").write_text("")
        assert script.wait(timeout=60) == 0

    done = run_cli("flow-run", "inspect", run_id, "-o", "json", home=praefect_home).json()
    assert done["state_type"] == "COMPLETED"
    assert [s["type"] for s in done["state_history"]][-2:] == ["RUNNING", "COMPLETED"]
