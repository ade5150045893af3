"""Prefect's import path ``prefect.client.schemas.sorting``: re-exports ``praefect.schemas.sorting``."""

from __future__ import annotations

from praefect.schemas.sorting import *  # noqa: F403
from praefect.schemas.sorting import __all__ as __all__
