"""Live updates for the web UI over server-sent events: one stream per page.

The browser opens one ``EventSource`` per page; the server looks at the database once per
``POLL_SECONDS`` (an indexed query, in a worker thread) and sends only what changed. A stream
ends after ``STREAM_SECONDS`` (the browser reconnects with ``Last-Event-ID``, so nothing is
lost), and a finished run's stream ends once its last records have arrived: an open tab costs a
bounded number of requests, never a polling storm. ``close_streams(app)`` ends them all at once
(the server calls it when it stops).

- ``/ui/stream/flow-run/<id>`` (and ``/ui/stream/task-run/<id>``): ``run`` when the run's state
  changes, ``tasks`` with the task runs written since the last look, ``logs`` with new log
  lines, ``done`` when the run is final and quiet.
- ``/ui/stream/runs``: ``changed`` when any flow run was created or changed state (the lists
  and the dashboard then reload their table, at most once per ``POLL_SECONDS``).
"""

from __future__ import annotations

import datetime as _dt
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas import filters, queries
from praefect.schemas.states import TERMINAL_STATES, now_utc
from praefect.ui import pages, runs, streams

__all__ = ["POLL_SECONDS", "QUIET_SECONDS", "STREAM_SECONDS", "close_streams", "router", "sse"]

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 1.0
"""How often a stream looks for changes."""
STREAM_SECONDS = 60.0
"""How long one stream lasts before the browser reconnects."""
QUIET_SECONDS = 5.0
"""How long a finished run's stream keeps looking for late records (task runs and logs are
written behind, after the flow run's final state)."""
LOG_LAG = _dt.timedelta(seconds=10)
"""Log lines are looked for this far behind the newest one sent: lines written behind may
arrive after newer ones."""
_LOG_BATCH = 2000
_TASK_OVERLAP = _dt.timedelta(seconds=1)
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any, event_id: str | None = None) -> str:
    """One server-sent event.

    >>> sse("logs", [1], "c1")
    'event: logs\\nid: c1\\ndata: [1]\\n\\n'
    """
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n"


def close_streams(app: Any) -> None:
    """End ``app``'s open live streams now, and any opened later at once, quietly: the
    server is stopping (uvicorn waits for the responses in flight before it stops). Call it from
    the server's event loop.

    >>> from fastapi import FastAPI
    >>> close_streams(FastAPI())
    """
    streams.close(app)


class _RunWatch:
    """What a run page has already been sent: the run's state, the task runs' last write and
    the log lines of the last ``LOG_LAG``."""

    def __init__(
        self,
        flow_run_id: uuid.UUID | None,
        task_run_id: uuid.UUID | None,
        since: _dt.datetime | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.summary: dict[str, Any] | None = None
        self.tasks_seen = since
        """Task runs written after this were not sent yet."""
        self.task_names: dict[str, str] = {}
        self.sent_tasks: dict[str, _dt.datetime] = {}
        self.log_cursor = since
        """The newest log line sent (or shown by the page); lines from ``LOG_LAG`` before it
        are looked at again, and the page drops those it shows already."""
        self.sent_logs: dict[str, _dt.datetime] = {}

    @property
    def cursor(self) -> str:
        """Where this stream is, as the ``id`` of its events (``Last-Event-ID`` on reconnect)."""
        return "|".join(
            value.isoformat() if value else "" for value in (self.tasks_seen, self.log_cursor)
        )

    def resume_from(self, cursor: str | None) -> None:
        """Continue from the ``cursor`` of an earlier stream of the same page."""
        parts = (cursor or "").split("|")
        if len(parts) != 2:
            return
        try:
            values = [_dt.datetime.fromisoformat(p) if p else None for p in parts]
        except ValueError:
            return
        self.tasks_seen, self.log_cursor = values

    def poll(self, conn: Connection) -> tuple[list[tuple[str, Any]], bool]:
        """The events to send, and whether the run is final."""
        out: list[tuple[str, Any]] = []
        # a watch follows one run: a task run, else a flow run
        flow_run_id, task_run_id = self.flow_run_id, self.task_run_id
        if task_run_id is not None:
            run = orchestration.task_runs.read(conn, task_run_id)
        elif flow_run_id is not None:
            run = orchestration.flow_runs.read(conn, flow_run_id)
        else:
            raise ValueError("A run watch needs a flow run id or a task run id.")
        if run is None:
            return [("done", {"reason": "deleted"})], True
        summary = runs._run_summary(run)
        if summary != self.summary:
            if self.summary is not None:
                out.append(("run", summary))
            self.summary = summary
        if task_run_id is None and flow_run_id is not None:
            changed = self._changed_tasks(conn, flow_run_id)
            if changed:
                out.append(("tasks", changed))
        logs = self._new_logs(conn)
        if logs:
            out.append(("logs", logs))
        return out, run["state_type"] in TERMINAL_STATES

    def _changed_tasks(self, conn: Connection, flow_run_id: uuid.UUID) -> list[dict[str, Any]]:
        seen = self.tasks_seen
        # ``updated`` is the time of the write; a second's overlap covers writers whose
        # transactions commit out of order (what was sent already is not sent again)
        after = None if seen is None else seen - _TASK_OVERLAP
        rows = orchestration.overview.task_runs_of(conn, flow_run_id, after)
        rows = [row for row in rows if self.sent_tasks.get(str(row["id"])) != row["updated"]]
        if not rows:
            return []
        newest = max(row["updated"] for row in rows)
        self.tasks_seen = max(newest, seen) if seen else newest
        for row in rows:
            self.task_names[str(row["id"])] = row["name"]
            self.sent_tasks[str(row["id"])] = row["updated"]
        horizon = self.tasks_seen - _TASK_OVERLAP
        self.sent_tasks = {k: v for k, v in self.sent_tasks.items() if v >= horizon}
        return [runs.task_node(row) for row in rows]

    def _new_logs(self, conn: Connection) -> list[dict[str, Any]]:
        log_filter = filters.LogFilter()
        if self.task_run_id is not None:
            log_filter.task_run_id = filters.LogFilterTaskRunId(any_=[self.task_run_id])
        else:
            log_filter.flow_run_id = filters.LogFilterFlowRunId(any_=[self.flow_run_id])
        if self.log_cursor is None:
            self.log_cursor = now_utc()
        after = self.log_cursor - LOG_LAG
        while True:
            log_filter.timestamp = filters.LogFilterTimestamp(after_=after)
            rows = orchestration.logs.read_many(
                conn, queries.LogQuery(logs=log_filter, limit=_LOG_BATCH)
            )
            fresh = [row for row in rows if str(row["id"]) not in self.sent_logs]
            if fresh or len(rows) < _LOG_BATCH or rows[-1]["timestamp"] <= after:
                break
            after = rows[-1]["timestamp"]  # a window full of lines sent already: look past it
        for row in fresh:
            self.sent_logs[str(row["id"])] = row["timestamp"]
            self.log_cursor = max(self.log_cursor, row["timestamp"])
        horizon = self.log_cursor - LOG_LAG
        self.sent_logs = {k: v for k, v in self.sent_logs.items() if v >= horizon}
        if (
            fresh
            and self.task_run_id is None
            and self.flow_run_id is not None
            and any(
                row["task_run_id"] is not None and str(row["task_run_id"]) not in self.task_names
                for row in fresh
            )
        ):
            self._learn_task_names(conn, self.flow_run_id)
        return [runs.log_line(row, self.task_names) for row in fresh]

    def _learn_task_names(self, conn: Connection, flow_run_id: uuid.UUID) -> None:
        for row in orchestration.overview.task_runs_of(conn, flow_run_id):
            self.task_names[str(row["id"])] = row["name"]


async def _run_events(request: Request, watch: _RunWatch) -> AsyncIterator[str]:
    engine = pages._engine(request)
    open_streams = streams.of(request.app)
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + STREAM_SECONDS
    quiet_since: float | None = None
    while time.monotonic() < deadline and not open_streams.closed:
        events, final = await anyio.to_thread.run_sync(database.read, engine, watch.poll)
        for name, data in events:
            yield sse(name, data, watch.cursor)
        if any(name == "done" for name, _ in events):
            return
        now = time.monotonic()
        if final and not events:
            quiet_since = quiet_since or now
            if now - quiet_since >= QUIET_SECONDS:
                yield sse("done", {"reason": "final"})
                return
        elif events:
            quiet_since = None
        await open_streams.pause(POLL_SECONDS)


def _watch(
    request: Request, flow_run_id: uuid.UUID | None, task_run_id: uuid.UUID | None
) -> _RunWatch:
    since = None
    try:
        since = _dt.datetime.fromisoformat(request.query_params.get("since", ""))
    except ValueError:
        pass
    watch = _RunWatch(flow_run_id, task_run_id, since)
    watch.resume_from(request.headers.get("last-event-id"))
    return watch


def _stream(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(body, media_type="text/event-stream", headers=_HEADERS)


@router.get("/ui/stream/flow-run/{flow_run_id}")
async def flow_run_stream(request: Request, flow_run_id: uuid.UUID) -> StreamingResponse:
    """The live events of a flow run page."""
    return _stream(_run_events(request, _watch(request, flow_run_id, None)))


@router.get("/ui/stream/task-run/{task_run_id}")
async def task_run_stream(request: Request, task_run_id: uuid.UUID) -> StreamingResponse:
    """The live events of a task run page."""
    return _stream(_run_events(request, _watch(request, None, task_run_id)))


async def _runs_events(request: Request) -> AsyncIterator[str]:
    engine = pages._engine(request)
    open_streams = streams.of(request.app)
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + STREAM_SECONDS
    seen = now_utc()
    while time.monotonic() < deadline and not open_streams.closed:
        # only the events of the last minute are scanned (the ``occurred`` index): flow-run
        # state changes are written synchronously, never late
        floor = max(seen, now_utc() - _dt.timedelta(minutes=1))
        newest = await anyio.to_thread.run_sync(
            database.read,
            engine,
            lambda conn, floor=floor: orchestration.overview.newest_flow_run_change(conn, floor),
        )
        if newest is not None and newest > seen:
            seen = newest
            yield sse("changed", {"at": newest.isoformat()})
        await open_streams.pause(POLL_SECONDS)


@router.get("/ui/stream/runs")
async def runs_stream(request: Request) -> StreamingResponse:
    """``changed`` whenever a flow run is created or changes state."""
    return _stream(_runs_events(request))
