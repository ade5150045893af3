"""``ws /api/task_runs/subscriptions/scheduled``: Prefect's delivery of background task runs to
its task workers, served from the same claims as praefect's own long poll.

The protocol is Prefect's: after the ``auth`` message (``_event_sockets``), the worker sends
``{"type": "subscribe", "keys": [task keys], "client_id": "..."}``; the server then sends each
run it claims for that worker (a ``TaskRun`` as JSON, now Pending) and waits for
``{"type": "ack"}`` before the next (``{"type": "quit"}`` ends the subscription). A run that
could not be delivered is Scheduled again for another worker. While subscribed the worker is
listed by ``/api/task_workers/filter``; it is forgotten when it leaves.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from praefect import database
from praefect.orchestration import task_workers
from praefect.schemas.objects import TaskRun
from praefect.server.api import _event_sockets
from praefect.server.api.task_workers import claim_or_wait

__all__ = ["router"]

router = APIRouter(prefix="/task_runs", tags=["Task Runs"])

_WS_POLICY = 1008
_WAIT = 5.0
"""Seconds one claim waits before the worker's heartbeat is recorded again."""


def _subscription(message: Any) -> tuple[list[str], str] | str:
    """The task keys and client id of a ``subscribe`` message, or what is wrong with it."""
    if not isinstance(message, dict) or message.get("type") != "subscribe":
        return "Expected 'subscribe' message"
    keys = message.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        return "Expected task keys"
    client_id = message.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        return "Expected a client_id"
    return keys, client_id


@router.websocket("/subscriptions/scheduled")
async def scheduled_task_subscription(websocket: WebSocket) -> None:
    """Send the worker the Scheduled background runs of its task keys, one at a time, each
    claimed for it (Pending) and acknowledged before the next."""
    if not await _event_sockets.accept_prefect_socket(websocket):
        return
    try:
        subscription = _subscription(json.loads(await websocket.receive_text()))
    except (WebSocketDisconnect, ValueError):
        return
    if isinstance(subscription, str):
        await websocket.close(_WS_POLICY, reason=subscription)
        return
    keys, client_id = subscription
    engine = database.get_engine(websocket.app.state.database_url)

    def beat() -> None:
        database.write(engine, lambda conn: task_workers.heartbeat(conn, client_id, keys))

    def give_back(run: dict[str, Any]) -> None:
        database.write(engine, lambda conn: task_workers.release(conn, run["id"], client_id))

    try:
        while True:
            await run_in_threadpool(beat)
            runs = await claim_or_wait(engine, keys, client_id, 1, _WAIT)
            for index, run in enumerate(runs):
                try:
                    await websocket.send_text(TaskRun.from_row(run).model_dump_json())
                    answer = json.loads(await websocket.receive_text())
                except (WebSocketDisconnect, RuntimeError, ValueError):
                    for undelivered in runs[index:]:
                        await run_in_threadpool(give_back, undelivered)
                    return
                kind = answer.get("type") if isinstance(answer, dict) else None
                if kind == "quit":
                    for undelivered in runs[index + 1 :]:
                        await run_in_threadpool(give_back, undelivered)
                    await websocket.close()
                    return
                if kind != "ack":
                    await websocket.close(_WS_POLICY, reason="Expected 'ack' message")
                    return
    finally:
        await run_in_threadpool(
            database.write, engine, lambda conn: task_workers.forget(conn, client_id)
        )
