"""Running an async task's coroutine on a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


def run_in_thread_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion on a fresh event loop in this (worker) thread. A fresh loop
    per run keeps nothing open between runs (no loop left unclosed when the pool shuts down)."""
    return asyncio.run(coro)
