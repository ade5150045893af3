"""Drivers: they execute the effects that the run logic (``*_steps`` generators) yields.

The run logic never blocks or awaits by itself. It yields one of the effects below and receives
the outcome (or has the exception thrown back into it). ``drive_sync`` blocks; ``drive_async``
awaits. That is the only difference between sync and async runs.

>>> def steps():
...     value = yield Block(len, ("abc",))
...     yield Sleep(0)
...     return value
>>> drive_sync(steps())
3
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from praefect.engine import timeouts
from praefect.utilities import clock as _clock

if TYPE_CHECKING:
    from praefect.utilities.callables import CallPlan

__all__ = [
    "Block",
    "Call",
    "Effect",
    "Hook",
    "Offload",
    "Sleep",
    "Steps",
    "call_parameters",
    "drive_async",
    "drive_sync",
]


@dataclass(slots=True)
class Call:
    """Call the user's function (a flow's or a task's body): the only effect that runs user
    code under a timeout.

    Not frozen, unlike the others, though nothing changes it: one is made per task call, and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) costs ~0.7 µs more, ~3%
    of a task call's own time."""

    fn: Callable[..., Any]
    parameters: dict[str, Any]
    plan: CallPlan | None
    """How to split ``parameters`` into positional and keyword arguments (None: all keyword)."""
    timeout: float | None
    timeout_error: BaseException | None
    """Raised in the run logic when ``timeout`` seconds pass first."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` (a retry delay, a WAIT from the orchestrator)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Block:
    """A call that may block: the store, waiting for futures, leaving a task runner. Async
    drivers call it in the loop's thread too (it is short, or it is what the run waits for)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Offload:
    """A call that may block for long (waiting for a concurrency slot): async drivers run it
    in a worker thread, so the other runs of their loop go on (one of them may hold the
    slot)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Hook:
    """A user hook (or ``retry_condition_fn``), sync or async."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]


Effect = Call | Sleep | Block | Offload | Hook
_PLAIN = frozenset({int, float, str, bytes, bool, type(None), dict, list, tuple})
"""Return values that are never awaitable (``inspect.isawaitable`` costs more than the test)."""
Steps = Generator[Effect, Any, Any]
"""A run logic: yields effects, receives their outcomes, returns the final state."""


def _run_coroutine_blocking(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even when this thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = ctx.run(asyncio.run, coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="praefect-coroutine", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def call_parameters(
    fn: Callable[..., Any], parameters: dict[str, Any], plan: CallPlan | None
) -> Any:
    """``fn`` called with ``parameters`` (a name→value mapping), split as ``plan`` says."""
    if plan is None:
        return fn(**parameters)
    args, kwargs = plan.split(parameters)
    return fn(*args, **kwargs)


def drive_sync(steps: Steps) -> Any:
    """Run ``steps`` to the end, blocking on each effect; return what the steps return."""
    send: Any = None
    throw: BaseException | None = None
    while True:
        try:
            effect = steps.send(send) if throw is None else steps.throw(throw)
        except StopIteration as stop:
            return stop.value
        send = throw = None
        try:
            match effect:
                case Call(fn, parameters, plan, timeout, error):
                    if timeout is None:
                        send = call_parameters(fn, parameters, plan)
                    else:
                        send = timeouts.call_with_timeout(
                            lambda: call_parameters(fn, parameters, plan),
                            timeout,
                            error or TimeoutError(),
                        )
                    if send.__class__ not in _PLAIN and inspect.isawaitable(send):
                        send = _run_coroutine_blocking(send)
                case Block(fn, args) | Offload(fn, args):
                    send = fn(*args)
                case Sleep(seconds):
                    if seconds > 0:
                        _clock.sleep(seconds)
                case Hook(fn, args):
                    send = fn(*args)
                    if inspect.isawaitable(send):
                        send = _run_coroutine_blocking(send)
        except BaseException as exc:  # noqa: BLE001 - thrown back into the run logic
            throw = exc


async def drive_async(steps: Steps) -> Any:
    """Run ``steps`` to the end, awaiting each effect; return what the steps return."""
    send: Any = None
    throw: BaseException | None = None
    while True:
        try:
            effect = steps.send(send) if throw is None else steps.throw(throw)
        except StopIteration as stop:
            return stop.value
        send = throw = None
        try:
            match effect:
                case Call(fn, parameters, plan, timeout, error):
                    send = call_parameters(fn, parameters, plan)
                    if inspect.isawaitable(send):
                        if timeout is None:
                            send = await send
                        else:
                            try:
                                send = await asyncio.wait_for(send, timeout)
                            except TimeoutError:
                                raise (error or TimeoutError()) from None
                case Block(fn, args):
                    send = fn(*args)
                case Offload(fn, args):
                    send = await asyncio.to_thread(fn, *args)
                case Sleep(seconds):
                    if seconds > 0:
                        await _clock.sleep_async(seconds)
                case Hook(fn, args):
                    send = fn(*args)
                    if inspect.isawaitable(send):
                        send = await send
        except BaseException as exc:  # noqa: BLE001 - thrown back into the run logic
            throw = exc
