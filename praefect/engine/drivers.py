"""Drivers: they execute the effects that the run logic (``*_steps`` generators) yields.

The run logic never blocks or awaits by itself. It yields one of these effects and receives the
outcome (or has the exception thrown back into it):

- ``(CALL, fn, parameters, timeout, timeout_error)``: call the user's function;
- ``(SLEEP, seconds)``: wait;
- ``(BLOCK, fn, args)``: a call that may block (the store, waiting for futures);
- ``(HOOK, fn, args)``: a user hook, sync or async.

``drive_sync`` blocks; ``drive_async`` awaits. That is the only difference between sync and async
runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Generator
from typing import Any

from praefect.engine import timeouts
from praefect.utilities import clock as _clock

CALL = 0
SLEEP = 1
BLOCK = 2
HOOK = 3

Steps = Generator[tuple[Any, ...], Any, Any]


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


def call_parameters(fn: Any, parameters: dict[str, Any], plan: Any) -> Any:
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
        kind = effect[0]
        try:
            if kind == CALL:
                _, fn, parameters, plan, timeout, error = effect
                if timeout is None:
                    send = call_parameters(fn, parameters, plan)
                else:
                    send = timeouts.call_with_timeout(
                        lambda f=fn, p=parameters, c=plan: call_parameters(f, p, c), timeout, error
                    )
                if inspect.isawaitable(send):
                    send = _run_coroutine_blocking(send)
            elif kind == BLOCK:
                send = effect[1](*effect[2])
            elif kind == SLEEP:
                if effect[1] > 0:
                    _clock.sleep(effect[1])
            elif kind == HOOK:
                send = effect[1](*effect[2])
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
        kind = effect[0]
        try:
            if kind == CALL:
                _, fn, parameters, plan, timeout, error = effect
                result = call_parameters(fn, parameters, plan)
                if inspect.isawaitable(result):
                    if timeout is None:
                        result = await result
                    else:
                        try:
                            result = await asyncio.wait_for(result, timeout)
                        except TimeoutError:
                            raise error from None
                send = result
            elif kind == BLOCK:
                send = effect[1](*effect[2])
            elif kind == SLEEP:
                if effect[1] > 0:
                    await _clock.sleep_async(effect[1])
            elif kind == HOOK:
                send = effect[1](*effect[2])
                if inspect.isawaitable(send):
                    send = await send
        except BaseException as exc:  # noqa: BLE001 - thrown back into the run logic
            throw = exc
