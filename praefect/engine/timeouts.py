"""Timeouts that hold for sync code too.

A sync function with ``timeout_seconds`` runs in a helper thread while the caller waits at most
that long. On time-out the run ends ``TimedOut`` at once, and the helper thread is *abandoned*:
praefect raises the timeout error inside it asynchronously (``PyThreadState_SetAsyncExc``), so
Python code stops at its next bytecode; code blocked inside a C call (a socket read, a
``time.sleep``) stops when that call returns. Whatever it returns afterwards is discarded.
"""

from __future__ import annotations

import contextvars
import ctypes
import threading
from collections.abc import Callable
from typing import Any


def _interrupt(thread_id: int, error: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(error))


def call_with_timeout(fn: Callable[[], Any], timeout: float, error: BaseException) -> Any:
    """Call ``fn`` and return its value, or raise ``error`` after ``timeout`` seconds."""
    ctx = contextvars.copy_context()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = ctx.run(fn)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="praefect-timeout", daemon=True)
    thread.start()
    if not done.wait(timeout):
        if thread.ident is not None and thread.is_alive():
            _interrupt(thread.ident, type(error))
        raise error
    if "error" in box:
        raise box["error"]
    return box.get("value")
