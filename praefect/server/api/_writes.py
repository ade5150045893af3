"""``write(engine, fn)``: the short writes of concurrent requests share one SQLite transaction.

SQLite takes one writer at a time, and a commit costs more than the rows of a flow-run create
(it copies every page the transaction touched to the WAL). So on SQLite the writes that routes
ask for while the event loop is busy run together on the loop, in arrival order, in one
transaction that commits once (group commit). Running them on the loop also saves the hop to
a worker thread and back, about a quarter of a create, and loses no parallelism: a second
thread could only wait for the write lock. If one of the writes raises, the transaction is
rolled back and each write runs again in its own transaction, so one failing request never
takes the others with it. The loop waits while another process holds the database (rarely
more than a few milliseconds); large writes (batches) belong in the thread pool.

On PostgreSQL each write runs in the thread pool in its own transaction, side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from praefect import database

__all__ = ["write"]

T = TypeVar("T")

_Batch = list[tuple[Callable[[Connection], Any], "asyncio.Future[Any]"]]
_open: dict[tuple[asyncio.AbstractEventLoop, Engine], _Batch] = {}


async def write(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """``database.write(engine, fn)`` for an async route doing one short write (a few rows);
    ``fn`` may run more than once (as in ``database.write``), so it must only touch the
    database."""
    if engine.dialect.name != "sqlite":
        return await run_in_threadpool(database.write, engine, fn)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    batch = _open.get((loop, engine))
    if batch is None:
        batch = _open[loop, engine] = []
        # Runs once the requests already woken up in this turn of the loop have queued theirs.
        loop.call_soon(_commit, loop, engine, batch)
    batch.append((fn, future))
    return await future


def _commit(loop: asyncio.AbstractEventLoop, engine: Engine, batch: _Batch) -> None:
    del _open[loop, engine]
    try:
        results = database.write(engine, lambda conn: [fn(conn) for fn, _ in batch])
    except Exception as exc:
        if len(batch) == 1:
            _settle(batch[0][1], None, exc)
            return
        for fn, future in batch:
            try:
                result = database.write(engine, fn)
            except Exception as alone:
                _settle(future, None, alone)
            else:
                _settle(future, result, None)
        return
    for (_, future), result in zip(batch, results, strict=True):
        _settle(future, result, None)


def _settle(future: asyncio.Future[Any], result: Any, exc: Exception | None) -> None:
    if future.done():  # the request was cancelled (its client went away)
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
