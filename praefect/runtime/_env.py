"""Values can be pinned with environment variables, as in Prefect:
``PREFECT__RUNTIME__FLOW_RUN__NAME=x`` (or ``PRAEFECT__RUNTIME__...``)."""

from __future__ import annotations

import os
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
