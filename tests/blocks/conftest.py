"""Blocks are saved to and loaded from the embedded store of each database backend."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _blocks_database(use_database: str) -> str:
    """Every blocks test runs on SQLite and on PostgreSQL (``use_database``)."""
    return use_database
