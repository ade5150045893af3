"""praefect: workflow orchestration for Python, with Prefect 3's API and zero infrastructure.

>>> from praefect import flow, task
>>> @task
... def add(a: int, b: int) -> int:
...     return a + b
>>> @flow
... def pipeline() -> int:
...     return add(1, 2)

Names are imported on first use, so ``import praefect`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Flow",
    "State",
    "Task",
    "__version__",
    "allow_failure",
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "flow",
    "get_client",
    "get_run_logger",
    "pause_flow_run",
    "resume_flow_run",
    "serve",
    "suspend_flow_run",
    "tags",
    "task",
    "unmapped",
]

_LAZY = {
    "flow": ("praefect.flows", "flow"),
    "Flow": ("praefect.flows", "Flow"),
    "task": ("praefect.tasks", "task"),
    "Task": ("praefect.tasks", "Task"),
    "State": ("praefect.schemas.states", "State"),
    "get_client": ("praefect.client", "get_client"),
    "get_run_logger": ("praefect.logging.loggers", "get_run_logger"),
    "tags": ("praefect.context", "tags"),
    "unmapped": ("praefect.utilities.annotations", "unmapped"),
    "allow_failure": ("praefect.utilities.annotations", "allow_failure"),
    # -- serving
    "serve": ("praefect.flows", "serve"),
    # -- pausing
    "pause_flow_run": ("praefect.flow_runs", "pause_flow_run"),
    "suspend_flow_run": ("praefect.flow_runs", "suspend_flow_run"),
    "resume_flow_run": ("praefect.flow_runs", "resume_flow_run"),
    "apause_flow_run": ("praefect.flow_runs", "apause_flow_run"),
    "asuspend_flow_run": ("praefect.flow_runs", "asuspend_flow_run"),
    "aresume_flow_run": ("praefect.flow_runs", "aresume_flow_run"),
}

if TYPE_CHECKING:
    from praefect.client import get_client
    from praefect.context import tags
    from praefect.flow_runs import (
        apause_flow_run,
        aresume_flow_run,
        asuspend_flow_run,
        pause_flow_run,
        resume_flow_run,
        suspend_flow_run,
    )
    from praefect.flows import Flow, flow, serve
    from praefect.logging.loggers import get_run_logger
    from praefect.schemas.states import State
    from praefect.tasks import Task, task
    from praefect.utilities.annotations import allow_failure, unmapped


def _load_result_reference(reference: dict[str, Any]) -> Any:
    from praefect.results import ResultRecord

    return ResultRecord.from_reference(reference).load_result()


def _register_result_loader() -> None:
    # states read back from the database hold a result reference; State.result() (in the
    # schemas layer) loads it through this hook, set once here at the top of the package
    from praefect.schemas import _results

    _results.reference_loader = _load_result_reference


_register_result_loader()


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is not None:
        value = getattr(importlib.import_module(target[0]), target[1])
        globals()[name] = value
        return value
    try:
        module = importlib.import_module(f"praefect.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"praefect.{name}":
            raise
        raise AttributeError(f"module 'praefect' has no attribute {name!r}") from None
    globals()[name] = module
    return module


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
