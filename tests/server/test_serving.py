"""``praefect server start`` stops at once on Ctrl-C, even with a web UI page open: its live
stream ends quietly instead of keeping uvicorn waiting (then cancelled, with a traceback); and
it writes each response in one piece."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import httpx
import pytest

from praefect.server.serving import GatheredWrites
from tests.conftest import running_server


def test_ctrl_c_stops_the_server_at_once_with_a_live_stream_open(
    tmp_path: Path, cli_env: dict[str, str]
):
    env = {**cli_env, "PRAEFECT_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}
    with running_server(env, "--no-services") as (process, api):
        with httpx.Client(base_url=api.removesuffix("/api"), timeout=10) as http:
            with http.stream("GET", "/ui/stream/runs") as stream:
                chunks = stream.iter_raw()  # kept: dropping it would close the connection
                assert next(chunks).startswith(b"retry:")
                process.send_signal(signal.SIGINT)
                # uvicorn alone would wait up to a minute for the stream, then cancel it with
                # tracebacks: the stream must end cleanly first (the timeout tells a hang)
                _, stderr = process.communicate(timeout=30)
                assert b"".join(chunks) == b""  # the stream ended cleanly, not cut off
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr, stderr


def test_docstring_examples_run():
    import doctest

    from praefect.server import serving
    from praefect.ui import live

    for module in (serving, live):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


class _Recorder(asyncio.Transport):
    """A transport that keeps what reaches it, one entry per system call it would make."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.calls.append(bytes(data))

    def writelines(self, list_of_data: list[bytes]) -> None:
        self.calls.append(b"".join(list_of_data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 4200) if name == "sockname" else default


def test_a_responses_writes_in_one_turn_of_the_loop_reach_the_socket_as_one():
    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes], object]:
        loop = asyncio.get_running_loop()
        recorder = _Recorder()
        gathered = GatheredWrites(recorder, loop)
        gathered.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        gathered.write(b"true")
        during_turn = list(recorder.calls)
        await asyncio.sleep(0)
        after_turn = list(recorder.calls)
        gathered.write(b"x" * (70 * 1024))  # larger than what is held back: out at once
        large = list(recorder.calls)
        gathered.write(b"last")
        gathered.close()  # sends what it holds before closing
        return during_turn, after_turn, large, (recorder.calls[-1], recorder.closed)

    during_turn, after_turn, large, last = asyncio.run(scenario())
    assert during_turn == []
    assert after_turn == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ntrue"]
    assert len(large) == 2 and len(large[1]) == 70 * 1024
    assert last == (b"last", True)
    # the rest of the transport is the wrapped one's
    loop = asyncio.new_event_loop()
    try:
        assert GatheredWrites(_Recorder(), loop).get_extra_info("sockname") == ("127.0.0.1", 4200)
    finally:
        loop.close()


def test_the_server_serves_http_11_through_gathered_writes():
    import uvicorn

    from praefect.server.app import create_app
    from praefect.server.serving import Server

    server = Server(uvicorn.Config(create_app(database_url="sqlite:///:memory:")))
    assert server.config.http.__name__ == "GatheringHttpToolsProtocol"
    chosen = Server(uvicorn.Config(create_app(database_url="sqlite:///:memory:"), http="h11"))
    assert chosen.config.http == "h11"  # a protocol asked for is left alone


def test_on_started_is_called_once_the_server_listens():
    import threading

    import uvicorn

    from praefect.server import serving
    from praefect.server.app import create_app

    [sock] = serving.listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    answered: list[int] = []

    def on_started() -> None:  # runs on the server's loop: ask from another thread
        def ask() -> None:
            answered.append(httpx.get(f"http://127.0.0.1:{port}/api/health").status_code)
            server.should_exit = True

        threading.Thread(target=ask).start()

    config = uvicorn.Config(create_app(database_url="sqlite:///:memory:"), lifespan="off")
    server = serving.Server(config, on_started=on_started)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    thread.join(30)
    assert answered == [200]


def test_listen_fails_on_a_busy_port_as_uvicorn_does(caplog: pytest.LogCaptureFixture):
    from praefect.server import serving

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            serving.listen("127.0.0.1", port)
    assert exited.value.code == 3
    assert (
        f"[Errno 98] error while attempting to bind on address ('127.0.0.1', {port}): "
        "address already in use"
    ) in caplog.text
    assert serving.listen("localhost", port) is None  # names are left to uvicorn
