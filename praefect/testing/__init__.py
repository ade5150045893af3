"""Testing helpers: ``prefect_test_harness`` and friends (see ``praefect.testing.utilities``)."""

from __future__ import annotations

from praefect.testing import utilities
from praefect.testing.utilities import (
    get_most_recent_flow_run,
    praefect_test_harness,
    prefect_test_harness,
)

__all__ = [
    "get_most_recent_flow_run",
    "praefect_test_harness",
    "prefect_test_harness",
    "utilities",
]
