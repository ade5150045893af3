"""``praefect server start`` stops at once on Ctrl-C, even with a web UI page open: its live
stream ends quietly instead of keeping uvicorn waiting (then cancelled, with a traceback)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ctrl_c_stops_the_server_at_once_with_a_live_stream_open(
    tmp_path: Path, cli_env: dict[str, str]
):
    port = _free_port()
    env = {**cli_env, "PRAEFECT_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "praefect.cli", "server", "start", "--port", str(port)]
        + ["--no-services"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    http.get("/api/health")
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"the server did not start: {process.communicate()[1]}")
                    time.sleep(0.05)
            with http.stream("GET", "/ui/stream/runs") as stream:
                chunks = stream.iter_raw()  # kept: dropping it would close the connection
                assert next(chunks).startswith(b"retry:")
                process.send_signal(signal.SIGINT)
                stopping = time.monotonic()
                _, stderr = process.communicate(timeout=10)
                took = time.monotonic() - stopping
                assert b"".join(chunks) == b""  # the stream ended cleanly, not cut off
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr, stderr
    assert took < 1.5, f"the server took {took:.2f} s to stop:\n{stderr}"


def test_docstring_examples_run():
    import doctest

    from praefect.server import serving
    from praefect.ui import live

    for module in (serving, live):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0
