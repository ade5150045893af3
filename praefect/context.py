"""Run contexts: what the engine knows about the run executing in this thread or task
(Prefect 3's ``prefect.context``).

>>> from praefect.context import get_run_context, tags
>>> with tags("etl"):  # every run started inside gets the tag
...     pass
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from praefect import exceptions

__all__ = [
    "EngineContext",
    "FlowRunContext",
    "RunContext",
    "TagsContext",
    "TaskRunContext",
    "get_run_context",
    "tags",
]


class RunContext:
    """Base of the flow and task run contexts."""

    __slots__: tuple[str, ...] = ()

    def model_dump(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class FlowRunContext(RunContext):
    """The flow run executing here: ``FlowRunContext.get()`` inside a flow, else None."""

    __slots__ = (
        "flow",
        "flow_run",
        "parameters",
        "task_runner",
        "log_prints",
        "root_flow_run_id",
        "task_run_dynamic_keys",
        "persist_result",
        "detached",
        "client",
        "result_store",
        "observed_flow_pauses",
    )

    _var: contextvars.ContextVar[FlowRunContext | None] = contextvars.ContextVar(
        "praefect_flow_run_context", default=None
    )

    def __init__(
        self,
        flow: Any,
        flow_run: Any,
        parameters: dict[str, Any],
        task_runner: Any,
        log_prints: bool,
        root_flow_run_id: Any,
    ) -> None:
        self.flow = flow
        self.flow_run = flow_run
        self.parameters = parameters
        self.task_runner = task_runner
        self.log_prints = log_prints
        self.root_flow_run_id = root_flow_run_id
        self.task_run_dynamic_keys: dict[str, int] = {}
        self.persist_result: bool | None = None
        self.detached = False
        self.client: Any = None
        self.result_store: Any = None
        self.observed_flow_pauses: dict[str, int] = {}
        """How many pauses this attempt made so far (``counter``): the default pause keys."""

    @classmethod
    def get(cls) -> FlowRunContext | None:
        return cls._var.get()

    @classmethod
    def enclosing(cls) -> FlowRunContext | None:
        """The flow run around this code: the current flow context, else that of the task run
        executing here (a task running in a worker thread or process)."""
        ctx = cls._var.get()
        if ctx is None:
            task_ctx = TaskRunContext._var.get()
            if task_ctx is not None:
                ctx = task_ctx.task_run.flow_context
        return ctx

    def next_dynamic_key(self, task_key: str) -> str:
        # dict.get + set is atomic enough under the GIL for unique keys per call site
        n = self.task_run_dynamic_keys.get(task_key, -1) + 1
        self.task_run_dynamic_keys[task_key] = n
        return str(n)


class TaskRunContext(RunContext):
    """The task run executing here: ``TaskRunContext.get()`` inside a task, else None."""

    __slots__ = ("task", "task_run", "parameters", "log_prints", "result_store", "persist_result")

    _var: contextvars.ContextVar[TaskRunContext | None] = contextvars.ContextVar(
        "praefect_task_run_context", default=None
    )

    def __init__(
        self, task: Any, task_run: Any, parameters: dict[str, Any], log_prints: bool
    ) -> None:
        self.task = task
        self.task_run = task_run
        self.parameters = parameters
        self.log_prints = log_prints
        self.result_store: Any = None
        self.persist_result: bool | None = None

    @classmethod
    def get(cls) -> TaskRunContext | None:
        return cls._var.get()


EngineContext = FlowRunContext


class TagsContext:
    """The tags added by enclosing ``tags()`` blocks."""

    _var: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
        "praefect_tags", default=frozenset()
    )

    @classmethod
    def current(cls) -> frozenset[str]:
        return cls._var.get()

    @classmethod
    def get(cls) -> TagsContext:
        ctx = cls()
        ctx.current_tags = set(cls._var.get())  # type: ignore[attr-defined]
        return ctx


@contextlib.contextmanager
def tags(*new_tags: str) -> Iterator[set[str]]:
    """Add tags to every flow run and task run started inside the block.

    >>> from praefect import flow, tags
    >>> @flow
    ... def f(): ...
    >>> with tags("etl", "nightly"):
    ...     f()  # doctest: +SKIP
    """
    current = TagsContext._var.get()
    combined = current | frozenset(new_tags)
    token = TagsContext._var.set(combined)
    try:
        yield set(combined)
    finally:
        TagsContext._var.reset(token)


def get_run_context() -> FlowRunContext | TaskRunContext:
    """The context of the task run executing here, else of the flow run.

    Raises ``MissingContextError`` outside any run.
    """
    task_ctx = TaskRunContext._var.get()
    if task_ctx is not None:
        return task_ctx
    flow_ctx = FlowRunContext._var.get()
    if flow_ctx is not None:
        return flow_ctx
    raise exceptions.MissingContextError(
        "No run context available. get_run_context() can only be called from within a flow "
        "or task run."
    )
