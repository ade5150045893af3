"""``FlowRunSubscriber``: the events and the log lines of one flow run, interleaved, as
Prefect's ``prefect.events.subscribers.FlowRunSubscriber`` gives them."""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any

from praefect.client import get_orchestration_client
from praefect.events.clients import EventSubscriber
from praefect.schemas.events import (
    EventAnyResourceFilter,
    EventFilter,
    ReceivedEvent,
)
from praefect.schemas.objects import Log

__all__ = ["FlowRunSubscriber"]

_TERMINAL = frozenset({"Completed", "Failed", "Crashed", "Cancelled"})
_LOG_POLL = 0.25


class FlowRunSubscriber:
    """Yields the events about a flow run (``Event``) and its log lines (``Log``) as they are
    stored, until the run ends: after its final state's event, log lines keep coming for
    ``straggler_timeout`` more seconds.

    ``async with FlowRunSubscriber(flow_run_id=run_id) as s: async for item in s: ...``"""

    def __init__(
        self,
        flow_run_id: uuid.UUID,
        straggler_timeout: int = 3,
        reconnection_attempts: int = 10,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.straggler_timeout = straggler_timeout
        self.reconnection_attempts = reconnection_attempts
        about = EventAnyResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"])
        self._events = EventSubscriber(EventFilter(any_resource=about), reconnection_attempts)
        self._queue: asyncio.Queue[ReceivedEvent | Log | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._finished = asyncio.Event()
        self._done = 0

    async def __aenter__(self) -> FlowRunSubscriber:
        await self._events.__aenter__()
        self._tasks = [
            asyncio.create_task(self._consume_events()),
            asyncio.create_task(self._consume_logs()),
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._events.__aexit__(exc_type, exc, tb)

    def __aiter__(self) -> FlowRunSubscriber:
        return self

    async def __anext__(self) -> ReceivedEvent | Log:
        while self._done < 2:
            item = await self._queue.get()
            if item is None:
                self._done += 1
                continue
            return item
        raise StopAsyncIteration

    async def _consume_events(self) -> None:
        resource = f"prefect.flow-run.{self.flow_run_id}"
        try:
            async for event in self._events:
                await self._queue.put(event)
                name = event.event.rsplit(".", 1)[-1]
                if event.resource.id == resource and name in _TERMINAL:
                    break
        finally:
            self._finished.set()
            await self._queue.put(None)

    async def _consume_logs(self) -> None:
        from praefect.schemas import filters, queries

        seen: set[Any] = set()
        since = None
        ended_at: float | None = None
        loop = asyncio.get_running_loop()
        try:
            while ended_at is None or loop.time() - ended_at < self.straggler_timeout:
                if self._finished.is_set() and ended_at is None:
                    ended_at = loop.time()
                log_filter = filters.LogFilter(
                    flow_run_id=filters.LogFilterFlowRunId(any_=[self.flow_run_id]),
                    timestamp=filters.LogFilterTimestamp(after_=since) if since else None,
                )
                query = queries.LogQuery(logs=log_filter)
                rows = await asyncio.to_thread(get_orchestration_client().read_logs, query)
                for row in rows:
                    if row["id"] in seen:
                        continue
                    seen.add(row["id"])
                    since = row["timestamp"]
                    await self._queue.put(Log.model_validate(row))
                await asyncio.sleep(_LOG_POLL)
        finally:
            await self._queue.put(None)
