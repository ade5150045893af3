"""The engine's own run messages ("Finished in state Completed()"), on a fast path.

Going through ``logging`` costs tens of microseconds per message (a LogRecord, a stack walk for
the caller, two handlers), more than the rest of a task call. When nobody but praefect's own
handlers would see the message (the usual case: no handler on the root logger, none added to
praefect's loggers), it is formatted and stored directly, with the same console line and the same
stored row as the logging path. Otherwise it goes through ``logging`` so that user handlers,
filters and test tools (pytest's caplog) see it.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
import time
from typing import Any

from praefect.logging import console as _console
from praefect.logging import handlers

_UTC = _dt.UTC
_root = logging.getLogger()
_praefect = logging.getLogger("praefect")
_task_runs = logging.getLogger("praefect.task_runs")
_flow_runs = logging.getLogger("praefect.flow_runs")


def _own_handlers_only(logger: logging.Logger) -> tuple[Any, Any] | None:
    """(console handler, store handler) when only praefect's handlers would get a record of
    ``logger``; None when anything else is listening or filtering."""
    if _root.handlers or logger.handlers or logger.filters or _praefect.filters:
        return None
    if not logger.propagate or not _praefect.propagate:
        return None
    console = store = None
    for handler in _praefect.handlers:
        if isinstance(handler, handlers.ConsoleHandler) and not handler.filters:
            console = handler
        elif isinstance(handler, handlers.RunLogStoreHandler) and not handler.filters:
            store = handler
        else:
            return None
    return console, store


def task_run_message(run: Any, level: int, message: str, client: Any, store: bool = True) -> None:
    """Log ``message`` for a task run (already known to be enabled for ``level``).

    ``store=False`` prints it without storing it: for the routine "Finished in state
    Completed()" line, which the stored state history already says (one row less per task).
    """
    own = _own_handlers_only(_task_runs)
    if own is None:
        run.logger().log(level, message, extra={"praefect_store": store})
        return
    console, store_handler = own
    now = time.time()
    levelname = logging.getLevelName(level)
    if console is not None and level >= console.level:
        line = handlers.console_line(now, levelname, message, run.name) + "\n"
        _console.queue.put(console.stream or sys.stderr, line)
    if store and store_handler is not None and level >= store_handler.level:
        client.enqueue_logs(
            [handlers.log_row("praefect.task_runs", level, message, now, run.flow_run_id, run.id)]
        )
