"""The task run executing here: ``from praefect.runtime import task_run; task_run.run_count``.

Outside a task run every attribute is ``None`` (``parameters`` is ``{}``, ``tags`` is ``[]``).
"""

from __future__ import annotations

from typing import Any

from praefect.context import TaskRunContext
from praefect.runtime._env import _MISSING, env_override

__all__ = ["api_url", "id", "name", "parameters", "run_count", "tags", "task_name", "ui_url"]


def _get(name: str) -> Any:
    ctx = TaskRunContext.get()
    run = ctx.task_run if ctx is not None else None
    if name == "id":
        value = run.id if run else None
    elif name == "name":
        value = run.name if run else None
    elif name == "task_name":
        value = ctx.task.name if ctx else None
    elif name == "parameters":
        value = dict(ctx.parameters) if ctx else {}
    elif name == "tags":
        value = list(run.tags) if run else []
    elif name == "run_count":
        value = run.run_count if run else 0
    elif name in ("api_url", "ui_url"):
        value = None
    else:
        raise AttributeError(f"module 'praefect.runtime.task_run' has no attribute {name!r}")
    override = env_override("task_run", name, value)
    return value if override is _MISSING else override


def __getattr__(name: str) -> Any:
    return _get(name)
