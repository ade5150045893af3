"""Prefect's import path ``prefect.client.schemas.objects``: re-exports ``praefect.schemas.objects``."""

from __future__ import annotations

from praefect.schemas.objects import *  # noqa: F403
from praefect.schemas.objects import __all__ as __all__
