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
import time
import uuid
from typing import Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas.events import Event, EventFilter, EventOrder, ReceivedEvent
from praefect.schemas.states import now_utc

__all__ = ["BACKFILL", "accept_prefect_socket", "events_in", "events_out"]

BATCH = 5000
"""Events stored in one transaction at most."""
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
    each after at most ``LINGER`` seconds. A malformed event closes the socket with code 1007
    and a reason naming its field, after the events before it are stored."""
    if not await accept_prefect_socket(websocket):
        return
    engine = _engine(websocket)
    pending: list[Event] = []
    first = 0.0
    problem: str | None = None

    async def store() -> None:
        batch = pending[:]
        pending.clear()
        received = now_utc()
        await anyio.to_thread.run_sync(
            database.write,
            engine,
            lambda conn: orchestration.event_intake.ingest(conn, batch, received),
        )

    try:
        while True:
            timeout = None if not pending else max(0.0, first + LINGER - time.monotonic())
            try:
                with anyio.fail_after(timeout) if timeout is not None else _forever():
                    text = await websocket.receive_text()
            except TimeoutError:
                await store()
                continue
            try:
                event = Event.model_validate_json(text)
            except ValidationError as exc:
                problem = _first_error(exc)
                break
            if not pending:
                first = time.monotonic()
            pending.append(event)
            if len(pending) >= BATCH:
                await store()
    except WebSocketDisconnect:
        pass
    finally:
        if pending:
            with anyio.CancelScope(shield=True):
                await store()
    if problem is not None:
        await websocket.close(_WS_INVALID, reason=problem[:120])


class _forever:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "event"
    return f"Invalid event: {where}: {error['msg']}"


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
