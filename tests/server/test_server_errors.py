"""A server error is a 500 with a JSON body, and the client keeps its connection: on the real
server (``praefect.server.serving.Server``, uvicorn on a loopback socket), on each database."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import httpx
import uvicorn
from fastapi import FastAPI, Request

from praefect.server.app import create_app
from praefect.server.serving import Server, listen


@contextlib.contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    sockets = listen("127.0.0.1", 0)
    assert sockets is not None
    port = sockets[0].getsockname()[1]
    server = Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "the server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_server_error_answers_500_json_and_keeps_the_connection(database_url: str):
    app = create_app(database_url=database_url)

    @app.get("/api/test/raises")
    def raises() -> None:
        raise RuntimeError("a bug in a route")

    @app.get("/api/test/client-port")
    def client_port(request: Request) -> int:
        assert request.client is not None
        return request.client.port

    with _serving(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        first = http.get("/api/test/client-port").json()
        assert http.post("/api/flows/", json={"name": "before"}).status_code == 201

        answer = http.get("/api/test/raises")

        assert answer.status_code == 500
        assert answer.json() == {
            "detail": "Internal server error; the server's log has the traceback."
        }
        assert http.post("/api/flows/", json={"name": "after"}).status_code == 201
        # the same client port: the same TCP connection served every request
        assert http.get("/api/test/client-port").json() == first
