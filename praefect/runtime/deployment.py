"""The deployment of the flow run executing here (deployments arrive in a later release:
outside a deployment run every attribute is ``None``; ``parameters`` is ``{}``)."""

from __future__ import annotations

from typing import Any

from praefect.runtime._env import pinned

__all__ = ["flow_run_id", "id", "name", "parameters", "version"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'praefect.runtime.deployment' has no attribute {name!r}")
    value: Any = {} if name == "parameters" else None
    if name == "flow_run_id":
        from praefect.runtime import flow_run

        value = flow_run.id
    return pinned("deployment", name, value)
