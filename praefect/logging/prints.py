"""``log_prints=True``: ``print()`` inside the run goes to the run logger (printed and stored).

``builtins.print`` is replaced once, the first time a flow or task asks for it; outside runs that
log prints, and for prints to any file other than stdout, the original ``print`` is used.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

_original_print = builtins.print
_installed = False


def _run_print(
    *args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    if file is None or file is sys.stdout:
        from praefect.context import FlowRunContext, TaskRunContext

        ctx: Any = TaskRunContext._var.get()
        run = None
        if ctx is not None:
            run = ctx.task_run if ctx.log_prints else None
        else:
            ctx = FlowRunContext._var.get()
            if ctx is not None and ctx.log_prints:
                run = ctx.flow_run
        if run is not None:
            run.logger().info((sep if sep is not None else " ").join(str(a) for a in args))
            return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


def install() -> None:
    """Route ``print`` through the run logger inside runs with ``log_prints=True``."""
    global _installed
    if not _installed:
        builtins.print = _run_print
        _installed = True
