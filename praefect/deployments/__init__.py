"""Deployments from code (Prefect 3's ``prefect.deployments``): run one, deploy some.

>>> from praefect.deployments import run_deployment
>>> run = run_deployment("etl/nightly", parameters={"n": 2}, timeout=0)  # doctest: +SKIP
>>> run.state.is_scheduled()  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["RunnerDeployment", "arun_deployment", "deploy", "run_deployment"]

_LAZY = {
    "RunnerDeployment": ("praefect.deployments.runner", "RunnerDeployment"),
    "deploy": ("praefect.deployments.runner", "deploy"),
    "run_deployment": ("praefect.deployments.running", "run_deployment"),
    "arun_deployment": ("praefect.deployments.running", "arun_deployment"),
}

if TYPE_CHECKING:
    from praefect.deployments.runner import RunnerDeployment, deploy
    from praefect.deployments.running import arun_deployment, run_deployment


def __getattr__(name: str) -> Any:
    import importlib

    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'praefect.deployments' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value
