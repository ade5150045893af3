"""Loggers: ``get_run_logger()`` for user code, and the engine's own run loggers."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

from praefect import exceptions
from praefect.context import FlowRunContext, TaskRunContext
from praefect.logging import configuration

__all__ = [
    "LogEavesdropper",
    "PrefectLogAdapter",
    "disable_run_logger",
    "flow_run_logger",
    "get_logger",
    "get_run_logger",
    "task_run_logger",
]

_disabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "praefect_run_logger_disabled", default=False
)


class PrefectLogAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger that tags each record with its run (``flow_run_id``, ``task_run_id``, names), so
    the record is stored against that run and printed with the run's name."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = kwargs.get("extra")
        kwargs["extra"] = {**self.extra, **extra} if extra else self.extra  # type: ignore[dict-item]
        return msg, kwargs

    def getChild(self, suffix: str, extra: dict[str, Any] | None = None) -> PrefectLogAdapter:
        return PrefectLogAdapter(self.logger.getChild(suffix), {**self.extra, **(extra or {})})  # type: ignore[dict-item]


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under ``praefect`` (``get_logger("my.module")`` is ``praefect.my.module``)."""
    configuration.setup_logging()
    if name is None:
        return logging.getLogger("praefect")
    return logging.getLogger(name if name.startswith("praefect") else f"praefect.{name}")


def _run_logger(name: str, extra: dict[str, Any]) -> PrefectLogAdapter:
    configuration.setup_logging()
    return PrefectLogAdapter(logging.getLogger(name), extra)


def flow_run_logger(flow_run: Any, flow: Any = None) -> PrefectLogAdapter:
    """The logger of one flow run."""
    return _run_logger(
        "praefect.flow_runs",
        {
            "flow_run_id": flow_run.id,
            "flow_run_name": flow_run.name,
            "flow_name": flow.name if flow is not None else "<unknown>",
            "task_run_id": None,
            "task_run_name": None,
        },
    )


def task_run_logger(task_run: Any, task: Any = None, flow_run: Any = None) -> PrefectLogAdapter:
    """The logger of one task run."""
    return _run_logger(
        "praefect.task_runs",
        {
            "task_run_id": task_run.id,
            "task_run_name": task_run.name,
            "task_name": task.name if task is not None else "<unknown>",
            "flow_run_id": task_run.flow_run_id,
            "flow_run_name": getattr(flow_run, "name", None),
        },
    )


def get_run_logger(context: Any = None, **kwargs: Any) -> logging.LoggerAdapter[logging.Logger]:
    """The logger of the run executing here: its records are printed and stored against the run.

    Raises ``MissingContextError`` outside a flow or task run (unless inside
    ``disable_run_logger()``).
    """
    if _disabled.get():
        return logging.LoggerAdapter(_null_logger(), {})
    task_ctx = context if isinstance(context, TaskRunContext) else TaskRunContext.get()
    if task_ctx is not None and not isinstance(context, FlowRunContext):
        logger = task_ctx.task_run.logger()
    else:
        flow_ctx = context if isinstance(context, FlowRunContext) else FlowRunContext.get()
        if flow_ctx is None:
            raise exceptions.MissingContextError(
                "There is no active flow or task run context: get_run_logger() can only be "
                "called from within a flow or task run. Use praefect.logging.get_logger() "
                "for a logger outside runs."
            )
        logger = flow_ctx.flow_run.logger()
    if kwargs:
        return PrefectLogAdapter(logger.logger, {**logger.extra, **kwargs})
    return logger


def _null_logger() -> logging.Logger:
    null = logging.getLogger("praefect.null")
    if not null.handlers:
        null.addHandler(logging.NullHandler())
        null.propagate = False
        null.disabled = True
    return null


@contextlib.contextmanager
def disable_run_logger() -> Iterator[None]:
    """Inside the block ``get_run_logger()`` returns a logger that discards everything, so a
    task's ``.fn`` can be called in a unit test with no run."""
    token = _disabled.set(True)
    try:
        yield
    finally:
        _disabled.reset(token)


class LogEavesdropper(logging.Handler):
    """Collect the records of a logger inside a block.

    >>> with LogEavesdropper("praefect", level=logging.INFO) as eavesdropper:  # doctest: +SKIP
    ...     my_flow()
    >>> print(eavesdropper.text())  # doctest: +SKIP
    """

    def __init__(self, eavesdrop_on: str, level: int = logging.NOTSET) -> None:
        super().__init__(level=level)
        self.eavesdrop_on = eavesdrop_on
        self._records: list[logging.LogRecord] = []
        self._old_level: int | None = None

    def __enter__(self) -> LogEavesdropper:
        logger = logging.getLogger(self.eavesdrop_on)
        self._old_level = logger.level
        if self.level and (logger.level == logging.NOTSET or logger.level > self.level):
            logger.setLevel(self.level)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger(self.eavesdrop_on)
        logger.removeHandler(self)
        if self._old_level is not None:
            logger.setLevel(self._old_level)

    def emit(self, record: logging.LogRecord) -> None:
        self._records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("[%(levelname)s]: %(message)s")
        return "\n".join(formatter.format(r) for r in self._records)
