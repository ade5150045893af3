"""Task workers: processes (or threads) that run the background task runs of ``Task.delay()``
(Prefect 3's ``prefect.task_worker``).

A worker serves some tasks: it claims Scheduled runs of their task keys from the orchestrator
(each run goes to exactly one worker, however many serve the task), runs up to ``limit`` at once
in threads, and sends heartbeats so that the runs of a worker that dies are marked Crashed (and
scheduled again when their task has retries left).

>>> from praefect import task
>>> from praefect.task_worker import TaskWorker
>>> @task
... def triple(x):
...     return x * 3
>>> worker = TaskWorker(triple, limit=4)
>>> worker.task_keys == [triple.task_key]
True
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from praefect.engine import background, shared
from praefect.tasks import Task

__all__ = [
    "StopTaskWorker",
    "TaskWorker",
    "aserve",
    "read_parameters",
    "serve",
    "should_try_to_read_parameters",
    "store_parameters",
]

_logger = logging.getLogger("praefect.task_worker")

store_parameters = background.store_parameters
read_parameters = background.read_parameters


class StopTaskWorker(Exception):
    """Raise it (or call ``TaskWorker.stop()``) to stop a task worker."""


def should_try_to_read_parameters(task: Task[Any, Any], task_run: Any) -> bool:
    """Whether a run's parameters are in result storage (a run of ``.delay()``: its state
    names them) rather than to be run without any."""
    state = task_run.get("state") if isinstance(task_run, Mapping) else task_run.state
    details = state.state_details if state is not None else {}
    return details.get("task_parameters_id") is not None


class TaskWorker:
    """Runs the background runs of ``tasks`` (``Task.delay()``), ``limit`` at a time.

    ``await worker.start()`` runs until ``stop()`` is called or ``timeout`` seconds pass;
    ``serve()`` and ``aserve()`` are the usual ways to start one.
    """

    poll_seconds = 1.0
    """How long one claim waits for a run before the worker looks at its stop flag again."""

    def __init__(
        self,
        *tasks: Task[Any, Any],
        limit: int | None = 10,
        heartbeat_seconds: float | None = None,
    ) -> None:
        if not tasks:
            raise ValueError("A task worker needs at least one task to serve.")
        for item in tasks:
            if not isinstance(item, Task):
                raise TypeError(
                    f"A task worker serves tasks (functions decorated with @task), got {item!r}."
                )
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be a positive number of runs (or None), got {limit}.")
        self.tasks: dict[str, Task[Any, Any]] = {}
        for item in tasks:
            self.tasks.setdefault(item.task_key, background.background_task(item))
        self.task_keys = list(self.tasks)
        self.limit = limit
        if heartbeat_seconds is None:
            from praefect.settings import get_current_settings

            heartbeat_seconds = get_current_settings().heartbeat_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.client_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        """This worker's id: its claims and heartbeats are recorded under it."""
        self.started = False
        self._stopping = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._slot_freed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self, timeout: float | None = None) -> None:
        """Serve until ``stop()`` is called or ``timeout`` seconds pass; wait for the runs
        in progress before returning."""
        loop = self._loop = asyncio.get_running_loop()
        self._slot_freed = asyncio.Event()
        self._stopping.clear()
        client = shared.client()
        await asyncio.to_thread(client.send_task_worker_heartbeat, self.client_id, self.task_keys)
        self.started = True
        deadline = None if timeout is None else loop.time() + timeout
        pool = cf.ThreadPoolExecutor(self.limit or 32, thread_name_prefix="praefect-task")
        beats = asyncio.ensure_future(self._heartbeats(client))
        _logger.info("Task worker %s serving %s", self.client_id, ", ".join(self.task_keys))
        try:
            while not self._stopping.is_set():
                wait = self.poll_seconds
                if deadline is not None:
                    wait = min(wait, deadline - loop.time())
                    if wait <= 0:
                        break
                free = self._free_slots()
                if free == 0:
                    self._slot_freed.clear()
                    try:
                        await asyncio.wait_for(self._slot_freed.wait(), wait)
                    except TimeoutError:
                        pass
                    continue
                runs = await asyncio.to_thread(
                    client.claim_task_runs, self.task_keys, self.client_id, free, wait
                )
                for run in runs:
                    with self._lock:
                        self._in_flight += 1
                    pool.submit(self._run, run)
        except StopTaskWorker:
            pass
        finally:
            self._stopping.set()
            beats.cancel()
            await asyncio.to_thread(pool.shutdown, True)
            self.started = False
            try:
                await asyncio.to_thread(client.remove_task_worker, self.client_id)
                await asyncio.to_thread(client.flush)
            except Exception as exc:  # the orchestrator may be gone: nothing to tell it then
                _logger.warning("Task worker %s could not say goodbye: %s", self.client_id, exc)

    async def stop(self) -> None:
        """Stop claiming runs; ``start()`` returns once the runs in progress are done."""
        self._stopping.set()

    async def __aenter__(self) -> TaskWorker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- inside ----------------------------------------------------------------------------------
    def _free_slots(self) -> int:
        if self.limit is None:
            return 32
        with self._lock:
            return max(self.limit - self._in_flight, 0)

    async def _heartbeats(self, client: Any) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await asyncio.to_thread(
                    client.send_task_worker_heartbeat, self.client_id, self.task_keys
                )
            except Exception as exc:
                _logger.warning("Task worker %s: heartbeat failed: %s", self.client_id, exc)

    def _run(self, run: dict[str, Any]) -> None:
        try:
            task = self.tasks[run["task_key"]]
            background.run_claimed(task, run)
            shared.client().flush()
        except BaseException:
            _logger.exception("Task worker %s: task run %s raised", self.client_id, run["id"])
        finally:
            with self._lock:
                self._in_flight -= 1
            loop, freed = self._loop, self._slot_freed
            if loop is not None and freed is not None:
                try:
                    loop.call_soon_threadsafe(freed.set)
                except RuntimeError:  # the loop has closed
                    pass


async def aserve(
    *tasks: Task[Any, Any],
    limit: int | None = 10,
    status_server_port: int | None = None,
    timeout: float | None = None,
) -> None:
    """Serve ``tasks`` as a task worker until cancelled or ``timeout`` seconds pass.

    >>> asyncio.run(aserve(triple, timeout=5))  # doctest: +SKIP
    """
    if status_server_port is not None:
        _logger.warning("praefect's task worker has no status server; status_server_port ignored.")
    await TaskWorker(*tasks, limit=limit).start(timeout=timeout)


def serve(
    *tasks: Task[Any, Any],
    limit: int | None = 10,
    status_server_port: int | None = None,
    timeout: float | None = None,
) -> None:
    """Serve ``tasks`` as a task worker in this process, until interrupted (Ctrl-C) or
    ``timeout`` seconds pass.

    >>> serve(triple, limit=4)  # doctest: +SKIP
    """
    try:
        asyncio.run(
            aserve(*tasks, limit=limit, status_server_port=status_server_port, timeout=timeout)
        )
    except KeyboardInterrupt:
        _logger.info("Task worker stopped.")
