"""Prefect's import path ``prefect.client.schemas.sorting``: re-exports ``praefect.schemas.sorting``."""

from __future__ import annotations

from praefect.schemas import artifacts as _artifacts
from praefect.schemas import variables as _variables
from praefect.schemas.sorting import *  # noqa: F403
from praefect.schemas.sorting import __all__ as _base

ArtifactCollectionSort = _artifacts.ArtifactCollectionSort
ArtifactSort = _artifacts.ArtifactSort
VariableSort = _variables.VariableSort

__all__ = sorted([*_base, "ArtifactCollectionSort", "ArtifactSort", "VariableSort"])
