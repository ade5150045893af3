"""Prefect's import path ``prefect.client.schemas.responses``: re-exports ``praefect.schemas.responses``."""

from __future__ import annotations

from praefect.schemas.responses import *  # noqa: F403
from praefect.schemas.responses import __all__ as __all__
