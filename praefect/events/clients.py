"""Emitting events and reading them as they come: ``emit_event``, ``get_events_client`` and
``get_events_subscriber``, as Prefect's ``prefect.events`` has them.

An event goes through the orchestration client's write-behind queue: in embedded mode it is
committed to the database with the next batch; against a server it is sent in a batch to
``POST /api/events`` that the server acknowledges, or kept in the spool on disk while the
server is away (never fire-and-forget). ``flush()`` on the client, or leaving a flow run, waits
for it.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from praefect.client import get_orchestration_client
from praefect.context import FlowRunContext, TaskRunContext
from praefect.schemas.events import Event, EventFilter, EventOrder, ReceivedEvent, RelatedResource
from praefect.schemas.states import now_utc
from praefect.settings import get_current_settings

__all__ = [
    "EventSubscriber",
    "EventsClient",
    "emit_event",
    "get_events_client",
    "get_events_subscriber",
]

_BACKFILL = 100
_PAGE = 5000
_SLACK = _dt.timedelta(seconds=30)


def _context_related(explicit: list[RelatedResource]) -> list[RelatedResource]:
    """The runs this code executes in (flow run, flow, task run), as related resources the
    event does not name already: an event emitted inside a flow shows up on its run's page."""
    seen = {related.id for related in explicit}
    found: list[dict[str, str]] = []
    flow_ctx = FlowRunContext.enclosing()
    if flow_ctx is not None:
        run = flow_ctx.flow_run
        found.append(_related("flow-run", run.id, getattr(run, "name", None)))
        flow_id = getattr(run, "flow_id", None)
        if flow_id is not None:
            found.append(_related("flow", flow_id, getattr(flow_ctx.flow, "name", None)))
    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        task_run = task_ctx.task_run
        found.append(_related("task-run", task_run.id, getattr(task_run, "name", None)))
    extra = [RelatedResource(r) for r in found if r["prefect.resource.id"] not in seen]
    return [*explicit, *extra]


def _related(kind: str, id: object, name: str | None) -> dict[str, str]:
    related = {"prefect.resource.id": f"prefect.{kind}.{id}", "prefect.resource.role": kind}
    if name:
        related["prefect.resource.name"] = name
    return related


def emit_event(
    event: str,
    resource: dict[str, str],
    occurred: _dt.datetime | None = None,
    related: list[dict[str, str]] | list[RelatedResource] | None = None,
    payload: dict[str, Any] | None = None,
    id: uuid.UUID | None = None,
    follows: Event | None = None,
    **kwargs: Any,
) -> Event | None:
    """Emit an event about ``resource`` (its labels; ``prefect.resource.id`` is required) and
    return it. Inside a flow or task run, the run is added to ``related``. The event is stored
    with the next write-behind batch; ``pydantic.ValidationError`` names a bad field at once.

    >>> from praefect.events import emit_event
    >>> ev = emit_event("acme.order.created", resource={"prefect.resource.id": "acme.order.1"})
    >>> ev.event, ev.resource.id
    ('acme.order.created', 'acme.order.1')
    """
    built = Event(
        event=event,
        resource=resource,
        related=related or [],
        payload=payload or {},
        occurred=occurred or now_utc(),
        id=id or uuid.uuid4(),
        follows=follows.id if follows is not None else kwargs.get("follows_id"),
    )
    built.related = _context_related(built.related)
    get_orchestration_client().enqueue_events([built])
    return built


class EventsClient:
    """Sends events (Prefect's ``EventsClient``): ``async with get_events_client() as c:
    await c.emit(event)``; leaving the block waits until they are stored (or spooled)."""

    async def __aenter__(self) -> EventsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(get_orchestration_client().flush)

    async def emit(self, event: Event) -> None:
        """Queue ``event`` for storing."""
        get_orchestration_client().enqueue_events([event])

    def emit_sync(self, event: Event) -> None:
        """Queue ``event`` for storing (from synchronous code)."""
        get_orchestration_client().enqueue_events([event])


def get_events_client(
    reconnection_attempts: int = 10,
    checkpoint_every: int = 700,
    checkpoint_interval: float = 30.0,
) -> EventsClient:
    """A client that emits events through this process's orchestration client (the arguments
    are Prefect's, for its websocket client; they change nothing here)."""
    return EventsClient()


class EventSubscriber:
    """Events as they are stored, oldest first (Prefect's ``PrefectEventSubscriber``):
    ``async with get_events_subscriber(filter) as s: async for event in s: ...``.

    Against a server it reads ``ws /api/events/out`` (which backfills recent events first);
    in embedded mode it polls the database every ``poll`` seconds."""

    def __init__(
        self,
        filter: EventFilter | None = None,
        reconnection_attempts: int = 10,
        poll: float = 0.25,
        backfill: bool = True,
    ) -> None:
        self.filter = (filter or EventFilter()).model_copy(update={"order": EventOrder.ASC})
        self.reconnection_attempts = reconnection_attempts
        self.poll = poll
        self.backfill = backfill
        self._seen: dict[uuid.UUID, _dt.datetime] = {}
        self._since: _dt.datetime | None = None
        self._socket: Any = None

    async def __aenter__(self) -> EventSubscriber:
        api_url = get_current_settings().api_url
        if api_url:
            await self._connect(api_url)
        elif not self.backfill:
            self._since = now_utc()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def _connect(self, api_url: str) -> None:
        from websockets.asyncio.client import connect

        settings = get_current_settings()
        url = "ws" + api_url.rstrip("/")[4:] + "/events/out"
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._socket = await connect(url, subprotocols=["prefect"], additional_headers=headers)  # type: ignore[list-item]
        await self._socket.send(json.dumps({"type": "auth", "token": settings.api_key}))
        answer = json.loads(await self._socket.recv())
        if answer.get("type") != "auth_success":
            raise RuntimeError(f"The event stream refused this client: {answer.get('reason')}")
        body = self.filter.model_dump(mode="json", exclude_none=True)
        await self._socket.send(
            json.dumps({"type": "filter", "filter": body, "backfill": self.backfill})
        )

    def __aiter__(self) -> AsyncIterator[ReceivedEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ReceivedEvent]:
        if self._socket is not None:
            async for message in self._socket:
                data = json.loads(message)
                if data.get("type") == "event":
                    yield ReceivedEvent.model_validate(data["event"])
            return
        while True:
            for event in await asyncio.to_thread(self._read_new):
                yield event
            await asyncio.sleep(self.poll)

    def _read_new(self) -> list[ReceivedEvent]:
        client = get_orchestration_client()
        if self._since is None and self.backfill and not self._seen:
            # the backfill: the newest matching events, oldest first
            newest = self.filter.model_copy(update={"order": EventOrder.DESC})
            rows = client.filter_events(newest, _BACKFILL)[::-1]
        else:
            since = self._since or now_utc()
            # a little back: events reach the store after they occurred (write-behind)
            occurred = self.filter.occurred.model_copy(update={"since": since - _SLACK})
            rows = client.filter_events(
                self.filter.model_copy(update={"occurred": occurred}), _PAGE
            )
            if len(rows) == _PAGE:  # a busy stream: go on from the last one read
                self._since = rows[-1]["occurred"] + _SLACK
        out = []
        for row in rows:
            event = ReceivedEvent.model_validate(row)
            if event.id in self._seen:
                continue
            self._seen[event.id] = event.occurred
            out.append(event)
        if out:
            latest = max(event.occurred for event in out)
            if self._since is None or latest > self._since:
                self._since = latest
        elif self._since is None:
            self._since = now_utc()
        horizon = (self._since or now_utc()) - 2 * _SLACK
        if len(self._seen) > 10_000:
            self._seen = {k: at for k, at in self._seen.items() if at >= horizon}
        return out


def get_events_subscriber(
    filter: EventFilter | None = None, reconnection_attempts: int = 10
) -> EventSubscriber:
    """A subscriber to the events matching ``filter``, backfilled with recent ones."""
    return EventSubscriber(filter, reconnection_attempts)
