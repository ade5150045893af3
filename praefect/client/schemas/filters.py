"""Prefect's import path ``prefect.client.schemas.filters``: re-exports ``praefect.schemas.filters``."""

from __future__ import annotations

from praefect.schemas.filters import *  # noqa: F403
from praefect.schemas.filters import __all__ as __all__
