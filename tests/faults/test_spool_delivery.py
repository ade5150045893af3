"""Records a process could not deliver before it exited (the server was down) are not lost:
the process says on stderr how many wait and how they will be delivered, ``praefect spool
deliver`` delivers them, and a server started on the same home picks them up by itself."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import free_port

_SPOOL = """
import sys

from praefect import settings
from praefect.client.http import HttpClient
from praefect.schemas.states import now_utc

home = settings.get_current_settings().home_path
client = HttpClient(sys.argv[1], home=home, retry_seconds=0.5)
client.writer.send_budget = 0.2
client.enqueue_logs(
    [{"name": "x", "level": 20, "message": f"kept {i}", "timestamp": now_utc()} for i in range(5)]
)
client.flush()
client.close()
"""


def _spool_while_down(env: dict[str, str], api: str, tmp_path: Path) -> str:
    """Run a process that records 5 logs for ``api`` while nothing listens there; its stderr."""
    script = tmp_path / "spool.py"
    script.write_text(textwrap.dedent(_SPOOL))
    done = subprocess.run(
        [sys.executable, str(script), api], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@contextlib.contextmanager
def _server(env: dict[str, str], port: int) -> Iterator[str]:
    """``praefect server start`` on ``port``; its API URL once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "praefect.cli", "server", "start", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.05)
        yield api
    finally:
        process.terminate()
        process.wait(20)


def _messages(api: str) -> list[str]:
    logs = httpx.post(f"{api}/logs/filter", json={}, timeout=10).json()
    return sorted(log["message"] for log in logs)


def test_spooled_records_are_announced_and_delivered_by_praefect_spool_deliver(cli_env, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    cli_env["PRAEFECT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.db'}"
    stderr = _spool_while_down(cli_env, api, tmp_path)
    assert "5 run record(s) could not be delivered" in stderr
    assert "praefect spool deliver" in stderr

    listed = subprocess.run(
        [sys.executable, "-m", "praefect.cli", "spool", "ls"],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert f"{api}: 5 record(s) in 1 batch(es)" in listed.stdout

    # a server on another home: it does not pick them up, the command delivers them
    other = {**cli_env, "PRAEFECT_HOME": str(tmp_path / "server-home")}
    os.makedirs(other["PRAEFECT_HOME"])
    with _server(other, port):
        assert _messages(api) == []
        deliver = subprocess.run(
            [sys.executable, "-m", "praefect.cli", "spool", "deliver"],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deliver.returncode == 0, deliver.stdout + deliver.stderr
        assert "delivered 5 of 5 record(s)" in deliver.stdout
        assert "5 record(s) delivered, 0 left" in deliver.stdout
        assert _messages(api) == [f"kept {i}" for i in range(5)]


def test_praefect_spool_deliver_says_what_is_left_when_the_server_is_down(cli_env, tmp_path):
    api = f"http://127.0.0.1:{free_port()}/api"
    _spool_while_down(cli_env, api, tmp_path)
    deliver = subprocess.run(
        [sys.executable, "-m", "praefect.cli", "spool", "deliver", "--timeout", "1"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deliver.returncode == 1
    assert "0 record(s) delivered, 5 left" in deliver.stdout
    assert "5 record(s) could not be delivered yet" in deliver.stdout + deliver.stderr


def test_a_server_on_the_same_home_picks_up_what_was_spooled_for_it(cli_env, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    cli_env["PRAEFECT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.db'}"
    _spool_while_down(cli_env, api, tmp_path)
    with _server(cli_env, port):
        deadline = time.monotonic() + 30
        while len(_messages(api)) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _messages(api) == [f"kept {i}" for i in range(5)]
    spooled = list((Path(cli_env["PRAEFECT_HOME"]) / "spool").glob("*/*.batch*"))
    assert spooled == []


def test_a_running_worker_delivers_what_was_spooled_for_its_api_url(cli_env, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    cli_env["PRAEFECT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.db'}"
    other = {**cli_env, "PRAEFECT_HOME": str(tmp_path / "server-home")}  # no pickup there
    os.makedirs(other["PRAEFECT_HOME"])
    env = {**cli_env, "PRAEFECT_API_URL": api}
    env.pop("PRAEFECT_DATABASE_URL")
    with _server(other, port):
        worker = subprocess.Popen(
            [sys.executable, "-m", "praefect.cli", "worker", "start", "--pool", "spooled"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert worker.stdout is not None
        for line in worker.stdout:
            if "started" in line:
                break
    try:
        # the server is down: a flow process of the worker's home spools and exits
        _spool_while_down(cli_env, api, tmp_path)
        with _server(other, port):
            deadline = time.monotonic() + 60
            while len(_messages(api)) < 5 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _messages(api) == [f"kept {i}" for i in range(5)]
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
