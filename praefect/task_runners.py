"""Task runners: where submitted and mapped task runs execute (Prefect 3's
``prefect.task_runners``).

``ThreadPoolTaskRunner`` is the default. A runner implements three things: ``submit`` one task
run, ``map`` a task over iterables (the base class builds it from ``submit``), and a context that
starts and stops its workers. Process, Dask and Ray runners implement the same interface.

>>> from praefect import flow
>>> from praefect.task_runners import ThreadPoolTaskRunner
>>> @flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
... def f(): ...
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import contextvars
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.futures import PrefectConcurrentFuture, PrefectFuture, PrefectFutureList
from praefect.utilities.annotations import BaseAnnotation, unmapped

if TYPE_CHECKING:
    from praefect.tasks import Task

__all__ = [
    "ConcurrentTaskRunner",
    "ProcessPoolTaskRunner",
    "TaskRunner",
    "ThreadPoolTaskRunner",
]


class TaskRunner(abc.ABC):
    """The interface every task runner implements."""

    @property
    def name(self) -> str:
        return type(self).__name__.lower().replace("taskrunner", "")

    @abc.abstractmethod
    def duplicate(self) -> TaskRunner:
        """A fresh, unstarted runner with the same configuration (one per flow run)."""

    @abc.abstractmethod
    def submit(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, Any] | None = None,
    ) -> PrefectFuture[Any]:
        """Start one run of ``task`` with ``parameters``; return its future at once."""

    def map(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
    ) -> PrefectFutureList[Any]:
        """Submit one run per position of the iterable parameters (zipped); values wrapped in
        ``unmapped()`` and non-iterables are passed to every run."""
        return PrefectFutureList(
            self.submit(task, call_params, wait_for=wait_for)
            for call_params in expand_map_parameters(task, parameters)
        )

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def _is_iterable_parameter(value: Any) -> bool:
    if isinstance(value, str | bytes | dict | BaseAnnotation):
        return False
    if isinstance(value, PrefectFuture):
        return True
    try:
        iter(value)
    except TypeError:
        return False
    return True


def expand_map_parameters(task: Task[..., Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameters of each run of a ``map``."""
    iterable: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, unmapped):
            static[name] = value.value
        elif _is_iterable_parameter(value):
            if isinstance(value, PrefectFuture):
                value = value.result()
            iterable[name] = list(value)
        else:
            static[name] = value
    if not iterable:
        raise exceptions.MappingMissingIterable(
            f"Task {task.name!r}: map() needs at least one iterable argument; got "
            f"{', '.join(f'{k}={type(v).__name__}' for k, v in parameters.items()) or 'none'}. "
            "Wrap values that should go to every run in unmapped()."
        )
    lengths = {name: len(values) for name, values in iterable.items()}
    if len(set(lengths.values())) > 1:
        raise exceptions.MappingLengthMismatch(
            f"Task {task.name!r}: map() got iterables of different lengths: "
            + ", ".join(f"{k}={n}" for k, n in lengths.items())
            + ". Use unmapped() for values that should not be iterated."
        )
    count = next(iter(lengths.values()))
    runs = []
    for i in range(count):
        call = dict(static)
        for name, values in iterable.items():
            call[name] = values[i]
        runs.append({name: call[name] for name in parameters})
    return runs


class ThreadPoolTaskRunner(TaskRunner):
    """Runs submitted tasks in a pool of threads (the default runner).

    ``max_workers`` defaults to the ``concurrent.futures`` default (``min(32, cpus + 4)``). The
    pool is started on the first ``submit``, so a flow that never submits costs nothing.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be 1 or more, got {max_workers}.")
        self.max_workers = max_workers
        self._executor: cf.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def duplicate(self) -> ThreadPoolTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def _pool(self) -> cf.ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = cf.ThreadPoolExecutor(
                        max_workers=self.max_workers, thread_name_prefix="praefect-task"
                    )
        return self._executor

    def submit(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, Any] | None = None,
    ) -> PrefectConcurrentFuture[Any]:
        from praefect.context import FlowRunContext
        from praefect.engine import task_engine

        flow_ctx = FlowRunContext.get()
        run, upstreams, needs_resolving = task_engine.create_task_run(
            task, parameters, wait_for, flow_ctx
        )
        ctx = contextvars.copy_context()
        wrapped = self._pool().submit(
            ctx.run,
            task_engine.run_prepared_sync,
            task,
            run,
            parameters,
            upstreams,
            needs_resolving,
        )
        return PrefectConcurrentFuture(run.id, wrapped, run)

    def __enter__(self) -> ThreadPoolTaskRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ThreadPoolTaskRunner) and other.max_workers == self.max_workers

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"


ConcurrentTaskRunner = ThreadPoolTaskRunner


class ProcessPoolTaskRunner(TaskRunner):
    """Runs submitted tasks in worker processes, for CPU-bound work.

    ``max_workers`` defaults to the number of CPUs. The task and its parameters travel to the
    workers with cloudpickle; their states and logs are recorded in the same store as with
    threads, and an exception raised in a worker is re-raised with its own type, the worker's
    traceback as its cause. The pool starts on the first ``submit`` (workers come from a fork
    server, so only the first pool of a program pays for a fresh interpreter); leaving the
    runner waits for its runs and stops the workers. Scripts must guard their entry point with
    ``if __name__ == "__main__":`` (workers import the main module, as with ``multiprocessing``).

    >>> from praefect import flow
    >>> from praefect.task_runners import ProcessPoolTaskRunner
    >>> @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    ... def f(): ...
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be 1 or more, got {max_workers}.")
        self.max_workers = max_workers
        self._processes: Any = None
        self._lock = threading.Lock()

    def duplicate(self) -> ProcessPoolTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def submit(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, Any] | None = None,
    ) -> PrefectConcurrentFuture[Any]:
        processes = self._processes
        if processes is None:
            with self._lock:
                processes = self._processes
                if processes is None:
                    from praefect.engine import process_pool

                    processes = self._processes = process_pool.ProcessPool(
                        self.max_workers, ThreadPoolTaskRunner
                    )
        return processes.submit(task, parameters, wait_for)

    def __enter__(self) -> ProcessPoolTaskRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            processes, self._processes = self._processes, None
        if processes is not None:
            processes.close()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProcessPoolTaskRunner) and other.max_workers == self.max_workers

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"
