"""Values can be pinned with environment variables, as in Prefect:
``PREFECT__RUNTIME__FLOW_RUN__NAME=x`` (or ``PRAEFECT__RUNTIME__...``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_MISSING = object()


def env_override(section: str, name: str, current: Any) -> Any:
    for prefix in ("PRAEFECT", "PREFECT"):
        raw = os.environ.get(f"{prefix}__RUNTIME__{section.upper()}__{name.upper()}")
        if raw is not None:
            if isinstance(current, int) and not isinstance(current, bool):
                try:
                    return int(raw)
                except ValueError:
                    return raw
            return raw
    return _MISSING


def shared_value(name: str, ctx: Any, run: Any) -> Any:
    """An attribute flow runs and task runs both have (``_MISSING`` for any other name)."""
    if name == "id":
        return run.id if run else None
    if name == "name":
        return run.name if run else None
    if name == "parameters":
        return dict(ctx.parameters) if ctx else {}
    if name == "tags":
        return list(run.tags) if run else []
    if name == "run_count":
        return run.run_count if run else 0
    return _MISSING


def pinned(section: str, name: str, value: Any) -> Any:
    """``value``, unless an environment variable pins this attribute."""
    override = env_override(section, name, value)
    return value if override is _MISSING else override


def run_attributes(
    section: str,
    context: Callable[[], Any],
    own: Callable[[str, Any, Any], Any],
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``praefect.runtime.<section>``: ``context()`` gives the run's
    context (None outside one), ``own(name, ctx, run)`` the attributes only this kind of run has
    (``_MISSING`` for a name it does not know); values pinned in the environment win."""

    def __getattr__(name: str) -> Any:
        ctx = context()
        run = getattr(ctx, section) if ctx is not None else None
        value = shared_value(name, ctx, run)
        if value is _MISSING:
            value = own(name, ctx, run)
        if value is _MISSING:
            raise AttributeError(f"module 'praefect.runtime.{section}' has no attribute {name!r}")
        return pinned(section, name, value)

    return __getattr__
