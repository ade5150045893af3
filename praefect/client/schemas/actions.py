"""Prefect's import path ``prefect.client.schemas.actions`` (create/update payloads).

Filled in as the resources they create arrive (work pools, concurrency limits, ...).
"""

from __future__ import annotations

__all__: list[str] = []
