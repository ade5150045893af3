"""The Prefect versions whose wire format praefect speaks.

Prefect's client reads ``GET /api/admin/version`` before its first run and refuses a server
whose major version is not its own: a praefect server answers ``PREFECT_VERSION`` there.
"""

from __future__ import annotations

__all__ = ["PREFECT_API_VERSION", "PREFECT_VERSION"]

PREFECT_VERSION = "3.9.1"
"""The Prefect release whose REST API, field for field, praefect serves."""
PREFECT_API_VERSION = "0.8.4"
"""That release's REST API version: what its server answers on ``GET /api/version`` and its
client sends as the ``X-PREFECT-API-VERSION`` header."""
