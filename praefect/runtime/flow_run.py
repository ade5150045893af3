"""The flow run executing here: ``from praefect.runtime import flow_run; flow_run.name``.

Outside a flow run every attribute is ``None`` (``parameters`` is ``{}``, ``tags`` is ``[]``).
"""

from __future__ import annotations

from typing import Any

from praefect.context import FlowRunContext
from praefect.runtime._env import _MISSING, run_attributes

__all__ = [
    "api_url",
    "flow_name",
    "flow_version",
    "id",
    "job_variables",
    "name",
    "parameters",
    "parent_deployment_id",
    "parent_flow_run_id",
    "root_flow_run_id",
    "run_count",
    "scheduled_start_time",
    "tags",
    "ui_url",
]


def _own(name: str, ctx: Any, run: Any) -> Any:
    if name == "flow_name":
        value = ctx.flow.name if ctx else None
    elif name == "flow_version":
        value = ctx.flow.version if ctx else None
    elif name == "scheduled_start_time":
        value = run.expected_start_time if run else None
    elif name == "parent_flow_run_id":
        value = run.parent_flow_run_id if run else None
    elif name == "root_flow_run_id":
        value = ctx.root_flow_run_id if ctx else None
    elif name == "parent_deployment_id":
        value = getattr(run, "parent_deployment_id", None) if run else None
    elif name == "job_variables":
        value = getattr(run, "job_variables", None) or {} if run else {}
    elif name == "api_url":
        from praefect.settings import get_current_settings

        url = get_current_settings().api_url
        value = f"{url}/flow_runs/flow_run/{run.id}" if (url and run) else None
    elif name == "ui_url":
        value = None
    else:
        value = _MISSING
    return value


__getattr__ = run_attributes("flow_run", FlowRunContext.enclosing, _own)
