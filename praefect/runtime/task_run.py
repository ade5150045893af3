"""The task run executing here: ``from praefect.runtime import task_run; task_run.run_count``.

Outside a task run every attribute is ``None`` (``parameters`` is ``{}``, ``tags`` is ``[]``).
"""

from __future__ import annotations

from typing import Any

from praefect.context import TaskRunContext
from praefect.runtime._env import _MISSING, run_attributes

__all__ = ["api_url", "id", "name", "parameters", "run_count", "tags", "task_name", "ui_url"]


def _own(name: str, ctx: Any, run: Any) -> Any:
    if name == "task_name":
        value = ctx.task.name if ctx else None
    elif name in ("api_url", "ui_url"):
        value = None
    else:
        value = _MISSING
    return value


__getattr__ = run_attributes("task_run", TaskRunContext.get, _own)
