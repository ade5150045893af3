"""Futures of submitted task runs (Prefect 3's ``prefect.futures``).

>>> from praefect import flow, task
>>> from praefect.futures import wait
>>> @task
... def square(x): return x * x
>>> @flow
... def f():
...     futures = [square.submit(i) for i in range(3)]
...     done, not_done = wait(futures)
...     return [fut.result() for fut in futures]
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

from praefect import exceptions
from praefect.schemas.states import State

__all__ = [
    "DoneAndNotDoneFutures",
    "PrefectConcurrentFuture",
    "PrefectDistributedFuture",
    "PrefectFuture",
    "PrefectFutureList",
    "PrefectWrappedFuture",
    "as_completed",
    "resolve_futures_to_results",
    "resolve_futures_to_states",
    "wait",
]

R = TypeVar("R")


class PrefectFuture(abc.ABC, Generic[R]):
    """The future result of a task run."""

    @property
    @abc.abstractmethod
    def task_run_id(self) -> uuid.UUID:
        """The id of the task run this future belongs to."""

    @property
    @abc.abstractmethod
    def state(self) -> State:
        """The current state of the task run (its final state once done)."""

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is finished, or ``timeout`` seconds pass."""

    @abc.abstractmethod
    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The run's result; raises the run's exception if it failed (unless
        ``raise_on_failure=False``) and ``TimeoutError`` after ``timeout`` seconds."""

    @abc.abstractmethod
    def done(self) -> bool:
        """Whether the run has finished."""

    @abc.abstractmethod
    def add_done_callback(self, fn: Callable[[PrefectFuture[R]], Any]) -> None:
        """Call ``fn(self)`` when the run finishes."""

    def _praefect_state_for_return(self) -> State:
        self.wait()
        return self.state


class PrefectWrappedFuture(PrefectFuture[R]):
    """A future wrapping another future (a ``concurrent.futures.Future`` whose value is the
    run's final state)."""

    __slots__ = ("_task_run_id", "_wrapped", "_run")

    def __init__(self, task_run_id: uuid.UUID, wrapped_future: Any, run: Any = None) -> None:
        self._task_run_id = task_run_id
        self._wrapped = wrapped_future
        self._run = run

    @property
    def task_run_id(self) -> uuid.UUID:
        return self._task_run_id

    @property
    def wrapped_future(self) -> Any:
        return self._wrapped

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class PrefectConcurrentFuture(PrefectWrappedFuture[R]):
    """The future of a task run submitted to a thread or process pool."""

    __slots__ = ()

    @property
    def state(self) -> State:
        if self._wrapped.done():
            return self._final_state()
        if self._run is not None and self._run.state is not None:
            return self._run.state
        from praefect.states import Pending

        return Pending()

    def _final_state(self) -> State:
        exc = self._wrapped.exception()
        if exc is not None:
            from praefect.states import exception_to_crashed_state

            return exception_to_crashed_state(exc)
        return self._wrapped.result()

    def done(self) -> bool:
        return self._wrapped.done()

    def wait(self, timeout: float | None = None) -> None:
        cf.wait([self._wrapped], timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        if not self._wrapped.done():
            cf.wait([self._wrapped], timeout=timeout)
            if not self._wrapped.done():
                raise TimeoutError(
                    f"Task run {self._task_run_id} did not finish within {timeout} second(s)."
                )
        return self._final_state().result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Callable[[PrefectFuture[R]], Any]) -> None:
        self._wrapped.add_done_callback(lambda _: fn(self))

    def __repr__(self) -> str:
        return f"PrefectConcurrentFuture(task_run_id={self._task_run_id}, state={self.state!r})"


class PrefectDistributedFuture(PrefectFuture[R]):
    """The future of a background task run (``Task.delay()`` / ``apply_async()``), run by a
    task worker somewhere: its state is read from the orchestrator, so it works in any process
    that can reach it (it pickles as its task run id).

    >>> future = add.delay(1, 2)  # doctest: +SKIP
    >>> future.result(timeout=10)  # doctest: +SKIP
    3
    """

    __slots__ = ("_task_run_id", "_final", "_wrapped", "_lock")

    _MAX_POLL = 0.25

    def __init__(self, task_run_id: uuid.UUID) -> None:
        self._task_run_id = task_run_id
        self._final: State | None = None
        self._wrapped: cf.Future[State] | None = None
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._task_run_id,))

    @property
    def task_run_id(self) -> uuid.UUID:
        return self._task_run_id

    def _read_state(self) -> State | None:
        from praefect.engine import shared

        run = shared.client().read_task_run(self._task_run_id)
        if run is None:
            raise exceptions.TaskRunNotFound(
                f"Task run {self._task_run_id} not found.", task_run_id=self._task_run_id
            )
        state: State | None = run.get("state")
        if state is not None and state.is_final():
            self._final = state
        return state

    @property
    def state(self) -> State:
        if self._final is not None:
            return self._final
        state = self._read_state()
        if state is None:
            from praefect.states import Scheduled

            return Scheduled()
        return state

    def done(self) -> bool:
        if self._final is None:
            self._read_state()
        return self._final is not None

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while self._final is None:
            self._read_state()
            if self._final is not None:
                return
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                delay = min(delay, remaining)
            time.sleep(delay)
            delay = min(delay * 1.5, self._MAX_POLL)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        self.wait(timeout)
        if self._final is None:
            raise TimeoutError(
                f"Task run {self._task_run_id} did not finish within {timeout} second(s)"
                f" (its state: {self.state.name}); is a task worker serving its task?"
                " Start one with `praefect task serve` or `praefect.task_worker.serve()`."
            )
        value: R = self._final.result(raise_on_failure=raise_on_failure)
        return value

    @property
    def wrapped_future(self) -> cf.Future[State]:
        """A ``concurrent.futures.Future`` of the final state, filled by a watcher thread (for
        ``wait()`` and ``as_completed()``)."""
        with self._lock:
            if self._wrapped is None:
                wrapped: cf.Future[State] = cf.Future()
                self._wrapped = wrapped

                def watch() -> None:
                    try:
                        self.wait()
                    except BaseException as exc:  # noqa: B036 - handed to the waiter
                        wrapped.set_exception(exc)
                    else:
                        assert self._final is not None
                        wrapped.set_result(self._final)

                threading.Thread(target=watch, name="praefect-future-watch", daemon=True).start()
            return self._wrapped

    def add_done_callback(self, fn: Callable[[PrefectFuture[R]], Any]) -> None:
        self.wrapped_future.add_done_callback(lambda _: fn(self))

    def __hash__(self) -> int:
        return hash(self._task_run_id)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PrefectDistributedFuture) and other._task_run_id == self._task_run_id
        )

    def __repr__(self) -> str:
        return f"PrefectDistributedFuture(task_run_id={self._task_run_id})"


class PrefectFutureList(list[PrefectFuture[R]], Generic[R]):
    """A list of futures (what ``Task.map`` returns) with ``wait()`` and ``result()`` over all."""

    def wait(self, timeout: float | None = None) -> None:
        wait(list(self), timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        done, not_done = wait(list(self), timeout=timeout)
        if not_done:
            raise TimeoutError(f"{len(not_done)} of {len(self)} futures did not finish in time.")
        return [fut.result(raise_on_failure=raise_on_failure) for fut in self]

    def _praefect_state_for_return(self) -> State:
        from praefect.states import return_value_to_state

        return return_value_to_state([f.state for f in self] if self else [])


class DoneAndNotDoneFutures(NamedTuple):
    """What ``wait()`` returns."""

    done: set[PrefectFuture[Any]]
    not_done: set[PrefectFuture[Any]]


def _underlying(futures: Iterable[PrefectFuture[Any]]) -> dict[Any, PrefectFuture[Any]]:
    out: dict[Any, PrefectFuture[Any]] = {}
    for fut in futures:
        wrapped = getattr(fut, "wrapped_future", None)
        if wrapped is None:
            raise TypeError(f"Expected a praefect future, got {type(fut).__name__}.")
        out[wrapped] = fut
    return out


def wait(
    futures: Iterable[PrefectFuture[Any]], timeout: float | None = None
) -> DoneAndNotDoneFutures:
    """Wait for all ``futures`` (or ``timeout`` seconds); return which are done and which not.

    >>> done, not_done = wait(futures, timeout=5)  # doctest: +SKIP
    """
    mapping = _underlying(futures)
    done, not_done = cf.wait(list(mapping), timeout=timeout)
    return DoneAndNotDoneFutures({mapping[f] for f in done}, {mapping[f] for f in not_done})


def as_completed(
    futures: Iterable[PrefectFuture[Any]], timeout: float | None = None
) -> Iterator[PrefectFuture[Any]]:
    """Yield ``futures`` as they finish, first finished first.

    >>> for fut in as_completed(futures):  # doctest: +SKIP
    ...     print(fut.result())
    """
    mapping = _underlying(futures)
    try:
        for done in cf.as_completed(list(mapping), timeout=timeout):
            yield mapping[done]
    except cf.TimeoutError:
        raise TimeoutError(f"as_completed() timed out after {timeout} second(s).") from None


def resolve_futures_to_states(value: object) -> Any:
    """``value`` with every future replaced by its final state (waiting for it)."""
    if isinstance(value, PrefectFuture):
        value.wait()
        return value.state
    if isinstance(value, list | tuple | set):
        return type(value)(resolve_futures_to_states(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve_futures_to_states(v) for k, v in value.items()}
    return value


def resolve_futures_to_results(value: object) -> Any:
    """``value`` with every future replaced by its result (waiting for it)."""
    if isinstance(value, PrefectFuture):
        return value.result()
    if isinstance(value, list | tuple | set):
        return type(value)(resolve_futures_to_results(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve_futures_to_results(v) for k, v in value.items()}
    return value


_ = exceptions  # the tree is part of this module's contract (TimeoutError subclasses)
