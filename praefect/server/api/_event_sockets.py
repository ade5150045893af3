"""The two event WebSockets: ``/api/events/in`` (a client's stream of events, stored in
batches) and ``/api/events/out`` (a subscription: a backfill, then new events as they are
stored, read from the database so events written by any process show up).

Both speak Prefect's protocol: a client offering the ``prefect`` subprotocol sends
``{"type": "auth", "token": ...}`` first and gets ``{"type": "auth_success"}`` (the HTTP
credentials were already checked by the auth middleware at the handshake); a client without
it is served at once (Prefect's legacy mode).
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas.events import EventFilter, EventOrder, ReceivedEvent
from praefect.schemas.states import now_utc

__all__ = ["BACKFILL", "accept_prefect_socket", "events_in", "events_out"]

BATCH = 5000
"""Events stored in one transaction at most."""
_MAX_PENDING = 50_000
LINGER = 0.05
"""Seconds events wait for more to arrive before they are stored."""
BACKFILL = 100
"""The most recent matching events sent when a subscription starts."""
POLL = 0.1
"""Seconds between two looks for new events on a subscription."""
_SLACK = _dt.timedelta(seconds=2)
_WS_INVALID = 1007
_WS_POLICY = 1008


async def accept_prefect_socket(websocket: WebSocket) -> bool:
    """Accept a WebSocket as Prefect's servers do (the ``auth`` message first when the client
    offers the ``prefect`` subprotocol); False when the client left or broke the protocol (the
    socket is closed then)."""
    offered = [
        protocol.strip()
        for header in websocket.headers.getlist("sec-websocket-protocol")
        for protocol in header.split(",")
    ]
    if "prefect" not in offered:
        await websocket.accept()
        return True
    await websocket.accept(subprotocol="prefect")
    try:
        message = json.loads(await websocket.receive_text())
    except (WebSocketDisconnect, ValueError):
        return False
    if not isinstance(message, dict) or message.get("type") != "auth":
        await websocket.close(_WS_POLICY, reason="Expected 'auth' message")
        return False
    await websocket.send_json({"type": "auth_success"})
    return True


def _engine(websocket: WebSocket) -> Any:
    return database.get_engine(websocket.app.state.database_url)


async def events_in(websocket: WebSocket) -> None:
    """Receive events until the client leaves; store them in batches of up to ``BATCH``,
    each after at most ``LINGER`` seconds, while the next ones are received. A malformed event
    closes the socket with code 1007 and a reason naming its field; the events before it are
    stored, those after it are not."""
    if not await accept_prefect_socket(websocket):
        return
    engine = _engine(websocket)
    pending: list[str] = []
    arrived = anyio.Event()
    room = anyio.Event()
    room.set()
    state: dict[str, Any] = {"done": False, "problem": None}

    def store(texts: list[str]) -> tuple[int, str | None]:
        received = now_utc()
        return database.write(
            engine, lambda conn: orchestration.event_intake.ingest_texts(conn, texts, received)
        )

    async def flush_loop() -> None:
        nonlocal arrived, room
        while True:
            if not pending:
                if state["done"]:
                    return
                await arrived.wait()
                arrived = anyio.Event()
                continue
            if len(pending) < BATCH and not state["done"]:
                await anyio.sleep(LINGER)
            batch = pending[:BATCH]
            del pending[:BATCH]
            room.set()
            if state["problem"] is None:
                _, problem = await anyio.to_thread.run_sync(store, batch)
                if problem is not None:
                    state["problem"] = problem
                    pending.clear()
                    with anyio.CancelScope(shield=True):
                        await websocket.close(_WS_INVALID, reason=problem[:120])

    async def read_loop() -> None:
        nonlocal room
        try:
            while state["problem"] is None:
                if len(pending) >= _MAX_PENDING:  # a client faster than the database waits
                    room = anyio.Event()
                    await room.wait()
                pending.append(await websocket.receive_text())
                if len(pending) == 1:
                    arrived.set()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            state["done"] = True
            arrived.set()

    async with anyio.create_task_group() as group:
        group.start_soon(read_loop)
        with anyio.CancelScope(shield=True):  # what was received is stored, even on shutdown
            await flush_loop()


async def events_out(websocket: WebSocket) -> None:
    """Serve one subscription (see the module's docstring)."""
    if not await accept_prefect_socket(websocket):
        return
    try:
        message = json.loads(await websocket.receive_text())
    except (WebSocketDisconnect, ValueError):
        return
    if not isinstance(message, dict) or message.get("type") != "filter":
        await websocket.close(_WS_INVALID, reason="Expected 'filter' message")
        return
    try:
        f = EventFilter.model_validate(message.get("filter") or {})
    except ValidationError as exc:
        await websocket.close(_WS_INVALID, reason=f"Invalid filter: {exc.errors()[0]['msg']}"[:120])
        return
    engine = _engine(websocket)
    seen: dict[uuid.UUID, Any] = {}

    def backfill(conn: Connection) -> list[dict[str, Any]]:
        newest = f.model_copy(update={"order": EventOrder.DESC})
        return orchestration.events.query(conn, newest, limit=BACKFILL)[::-1]

    def fresh(since: Any) -> list[dict[str, Any]]:
        return database.read(
            engine, lambda conn: orchestration.events.received_since(conn, f, since)
        )

    async def send(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["id"] in seen:
                continue
            seen[row["id"]] = row["received"]
            event = ReceivedEvent.model_validate(row)
            await websocket.send_text('{"type":"event","event":' + event.model_dump_json() + "}")

    cursor = now_utc()
    try:
        if message.get("backfill", True):
            await send(await anyio.to_thread.run_sync(database.read, engine, backfill))
        while True:
            # a little back in time: a batch committed late with an earlier receipt time
            rows = await anyio.to_thread.run_sync(fresh, cursor - _SLACK)
            await send(rows)
            if rows:
                cursor = max(cursor, rows[-1]["received"])
                horizon = cursor - _SLACK
                for key in [k for k, at in seen.items() if at < horizon]:
                    del seen[key]
            if len(rows) < 1000:
                await anyio.sleep(POLL)
    except (WebSocketDisconnect, RuntimeError):
        return
