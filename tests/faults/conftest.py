"""The fault suite: real processes, real kills, real database outages.

Every test here carries the ``faults`` marker (``pytest -m faults`` runs just them). They assert
invariants a user relies on (every run ends, nothing acknowledged is lost, nothing runs twice),
never timings.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)
