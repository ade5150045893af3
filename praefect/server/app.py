"""``create_app()``: the FastAPI app of the praefect server.

The REST API lives under ``/api`` (Prefect 3's paths and field names), its OpenAPI spec at
``/openapi.json`` and interactive docs at ``/docs``, and the web UI (``praefect.ui``) at ``/``.
Around the routes, from the outside in: CORS, authentication, the body size limit.

>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app(database_url="sqlite:///:memory:"))
>>> client.post("/api/flows/", json={"name": "etl"}).status_code
201
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from praefect import settings as _settings
from praefect import ui
from praefect.server import auth, errors, limits
from praefect.server.api import (
    admin,
    blocks,
    deployments,
    events,
    flow_run_states,
    flow_runs,
    flows,
    logs,
    scheduling,
    task_run_states,
    task_runs,
    work_pools,
)

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api"
_ROUTERS = (
    admin,
    flows,
    flow_runs,
    flow_run_states,
    task_runs,
    task_run_states,
    logs,
    events,
    blocks,
    # -- work pools, queues, workers; scheduled runs for workers and runners
    work_pools,
    # deployments (the deployments issue)
    deployments,
    # -- scheduling: POST /deployments/{id}/schedule
    scheduling,
)


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _document_batch_body(app: FastAPI) -> None:
    """Put the schemas of the batch bodies (``POST /api/task_runs/batch`` and ``/api/logs/``,
    validated by the routes themselves, not by FastAPI) into the OpenAPI document, built when
    the document is first asked for."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            known = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, adapter in (
                ("TaskRunBatch", task_runs.batch_adapter),
                ("LogBatch", logs.batch_adapter),
            ):
                body = adapter().json_schema(ref_template="#/components/schemas/{model}")
                for model, definition in body.pop("$defs", {}).items():
                    known.setdefault(model, definition)
                known[name] = body
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: _settings.Settings | None = None, database_url: str | None = None
) -> FastAPI:
    """The server's ASGI app on ``database_url`` (default: the settings' database), configured
    from ``settings`` (default: the current ones). The database is opened, and migrated, on the
    first request that needs it."""
    settings = settings or _settings.get_current_settings()
    app = FastAPI(
        title="praefect",
        version=admin.server_version(),
        description="The praefect REST API (Prefect 3 compatible paths and fields).",
    )
    app.state.database_url = database_url or settings.resolved_database_url
    for module in _ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    errors.install(app)
    _document_batch_body(app)
    ui.install(app)
    # add_middleware wraps: the last one added is the outermost.
    app.add_middleware(limits.BodySizeLimit, max_bytes=settings.server_max_body_bytes)
    api_keys = auth.parse_api_keys(settings.server_api_keys)
    if settings.server_api_auth_string or api_keys:
        app.add_middleware(
            auth.AuthMiddleware, auth_string=settings.server_api_auth_string, api_keys=api_keys
        )
    origins = _split(settings.server_cors_allowed_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=_split(settings.server_cors_allowed_methods) or ["*"],
            allow_headers=_split(settings.server_cors_allowed_headers) or ["*"],
        )
    return app
