"""The praefect server: the REST API (FastAPI) over the same service layer as the embedded store.

``create_app()`` builds the ASGI app; ``praefect server start`` serves it with uvicorn.

>>> from fastapi.testclient import TestClient
>>> from praefect.server.app import create_app
>>> TestClient(create_app(database_url="sqlite:///:memory:")).get("/api/health").json()
True
"""

from __future__ import annotations

__all__: list[str] = []
