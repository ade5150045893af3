"""SIGTERM and Ctrl-C stop a worker, ``serve()`` and the services promptly, whatever their loop
was doing when the signal came: a handler only sets a flag and writes a wake-up byte, so it can
never wait for a lock the interrupted main thread holds."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROUNDS = 12
STOP_WITHIN = 60.0
"""Seconds a stopped process may take to exit before the test calls it a hang. It exits in well
under one; a hang is forever. The bound only tells a hang from an exit slowed down by a loaded
machine, so it is generous: it costs nothing when the process exits."""


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAEFECT_", "PREFECT_"))}
    env["PRAEFECT_HOME"] = str(tmp_path / "home")
    env["PRAEFECT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'praefect.db'}"
    # A worker of a paused pool with no pause between polls spins through its loop doing
    # nothing else, so over the rounds the signal lands at every point of its wait (inside the
    # wait's lock too, where a handler that takes that lock hangs for good).
    env["PRAEFECT_WORKER_QUERY_SECONDS"] = "0"
    env["PRAEFECT_WORKER_HEARTBEAT_SECONDS"] = "60"
    return env


def _stop_promptly(command: list[str], env: dict[str, str], ready: str, sig: int) -> None:
    """Start ``command``, wait for ``ready`` in its output, let its loop run a random moment
    (its first poll may take a second), send ``sig``: it must exit (``STOP_WITHIN``: a hang)."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if ready in line:
                break
        else:
            pytest.fail(f"{command} exited before it was ready: {''.join(seen)}")
        time.sleep(random.uniform(0.5, 1.2))
        process.send_signal(sig)
        try:
            process.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"{' '.join(command[2:])} still running {STOP_WITHIN}s after signal {sig} "
                f"(output: {''.join(seen)[-1000:]})"
            )
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


WORKER_ROUNDS = textwrap.dedent(
    """
    import os, random, signal, sys, threading

    from praefect.utilities import wakeup
    from praefect.workers import ProcessWorker

    for n in range(int(sys.argv[1])):
        worker = ProcessWorker(work_pool_name="signals")
        # as `praefect worker start` runs its worker; the signal comes from another thread
        with wakeup.stopped_by_signals(worker.stop):
            sig = signal.SIGTERM if n % 2 == 0 else signal.SIGINT
            threading.Timer(random.uniform(0.05, 0.4), os.kill, (os.getpid(), sig)).start()
            worker.run_forever()
        print("stopped", n, flush=True)
    """
)


def test_worker_start_exits_promptly_on_every_sigterm_or_ctrl_c(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    cli = [sys.executable, "-m", "praefect.cli"]
    subprocess.run([*cli, "work-pool", "create", "signals", "--paused"], env=env, check=True)
    command = [*cli, "worker", "start", "--pool", "signals"]
    for sig in (signal.SIGTERM, signal.SIGINT):
        _stop_promptly(command, env, "started, polling", sig)
    # many more rounds in one process: the worker loop and its signal handling as the command
    # runs them, each stopped by a signal at a random moment (a process start costs seconds)
    script = tmp_path / "worker_rounds.py"
    script.write_text(WORKER_ROUNDS)
    rounds = 3 * ROUNDS
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(rounds)],
            env=env, capture_output=True, text=True, timeout=STOP_WITHIN + rounds,
        )  # fmt: skip
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"a worker loop did not stop on its signal: {hung.stdout!r} {hung.stderr!r}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == f"stopped {rounds - 1}", done.stdout


SERVE = textwrap.dedent(
    """
    from praefect import flow, serve


    @flow
    def nothing():
        return None


    if __name__ == "__main__":
        serve(nothing.to_deployment("signals"))
    """
)


def test_serve_exits_promptly_on_every_sigterm(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    script = tmp_path / "serving.py"
    script.write_text(SERVE)
    for _ in range(ROUNDS // 4):
        _stop_promptly([sys.executable, str(script)], env, "Serving", signal.SIGTERM)


def test_server_services_exit_promptly_on_every_sigterm(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    command = [sys.executable, "-m", "praefect.cli", "server", "services", "start"]
    for _ in range(ROUNDS // 4):
        _stop_promptly(command, env, "Services running", signal.SIGTERM)
