"""Log handlers: the console line users see, and the write-behind store of run logs."""

from __future__ import annotations

import datetime as _dt
import logging
import os
import sys
import time
import traceback
from typing import Any

from praefect.logging import console
from praefect.utilities.ids import uuid7

_UTC = _dt.UTC
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PraefectHandler(logging.Handler):
    """Marker base: handlers praefect installs (and may remove again)."""


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without praefect's own frames: users see their code only."""
    frames = [
        fs
        for fs in traceback.extract_tb(exc.__traceback__)
        if not fs.filename.startswith(_PACKAGE_DIR)
    ]
    text = "".join(traceback.format_exception_only(type(exc), exc))
    if frames:
        text = (
            "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) + text
        )
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and cause is not exc:
        joiner = (
            "\nThe above exception was the direct cause of the following exception:\n\n"
            if exc.__cause__ is not None
            else "\nDuring handling of the above exception, another exception occurred:\n\n"
        )
        text = user_traceback(cause) + joiner + text
    return text


_second: tuple[int, str] = (-1, "")
"""The last whole second a console line was written in, and its ``HH:MM:SS``."""


def console_line(
    created: float,
    levelname: str,
    message: str,
    task_run_name: str | None = None,
    flow_run_name: str | None = None,
) -> str:
    """``12:00:01.123 | INFO    | Task run 'add-3f2' - message`` (local time)."""
    global _second
    second, clock = _second
    if second != int(created):
        # localtime and strftime are a microsecond a line; a task's lines share their second
        second = int(created)
        clock = time.strftime("%H:%M:%S", time.localtime(second))
        _second = (second, clock)
    stamp = f"{clock}.{int(created % 1 * 1000):03d}"
    if task_run_name:
        message = f"Task run {task_run_name!r} - {message}"
    elif flow_run_name:
        message = f"Flow run {flow_run_name!r} - {message}"
    return f"{stamp} | {levelname:<7} | {message}"


def log_row(
    name: str,
    level: int,
    message: str,
    created: float,
    flow_run_id: object,
    task_run_id: object,
) -> dict[str, Any]:
    """The stored row of one run log line."""
    return {
        "id": uuid7(),
        "name": name,
        "level": level,
        "message": message,
        "timestamp": _dt.datetime.fromtimestamp(created, _UTC),
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
    }


class RunFormatter(logging.Formatter):
    """``12:00:01.123 | INFO    | Task run 'add-3f2' - message``"""

    def __init__(self) -> None:
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        line = console_line(
            record.created,
            record.levelname,
            record.getMessage(),
            getattr(record, "task_run_name", None),
            getattr(record, "flow_run_name", None),
        )
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + user_traceback(record.exc_info[1]).rstrip()
        return line


class ConsoleHandler(PraefectHandler, logging.StreamHandler[Any]):
    """Prints run logs to stderr (the ``sys.stderr`` of the moment, so test runners that swap it
    capture the lines)."""

    def __init__(self, stream: Any = None) -> None:
        logging.StreamHandler.__init__(self, stream)
        self._fixed_stream = stream  # None: follow sys.stderr
        self.setFormatter(RunFormatter())

    @property
    def stream(self) -> Any:
        return self._fixed_stream if self._fixed_stream is not None else sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self._fixed_stream = value

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        console.queue.put(self.stream, text)

    def flush(self) -> None:
        console.queue.flush()


class RunLogStoreHandler(PraefectHandler):
    """Stores records that belong to a run (they carry ``flow_run_id``) through the client's
    write-behind queue; other records, and records marked ``praefect_store=False``, are
    ignored."""

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id = getattr(record, "flow_run_id", None)
        task_run_id = getattr(record, "task_run_id", None)
        if flow_run_id is None and task_run_id is None:
            return
        if getattr(record, "praefect_store", True) is False:
            return
        try:
            from praefect import client

            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += "\n" + user_traceback(record.exc_info[1]).rstrip()
            client.get_orchestration_client().enqueue_logs(
                [
                    log_row(
                        record.name,
                        record.levelno,
                        message,
                        record.created,
                        flow_run_id,
                        task_run_id,
                    )
                ]
            )
        except Exception:
            self.handleError(record)
