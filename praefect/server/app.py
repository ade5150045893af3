"""``create_app()``: the FastAPI app of the praefect server.

The REST API lives under ``/api`` (Prefect 3's paths and field names), its OpenAPI spec at
``/openapi.json`` and interactive docs at ``/docs``, and the web UI (``praefect.ui``) at ``/``.
Around the routes, from the outside in: CORS, the browser guard (foreign origins and non-JSON
bodies refused), authentication, the body size limit.

>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app(database_url="sqlite:///:memory:"))
>>> client.post("/api/flows/", json={"name": "etl"}).status_code
201
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from praefect import settings as _settings
from praefect import ui
from praefect.server import auth, browsers, errors, hosts, limits, storable
from praefect.server.api import admin

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api"
# The API's routers after ``admin`` (always there), in matching order; imported on first need.
_ROUTERS = (
    "root",
    "flows",
    "flow_runs",
    "flow_run_inputs",
    "flow_run_states",
    "task_runs",
    "task_run_states",
    "logs",
    "events",
    "blocks",
    "variables",
    "artifacts",
    # -- work pools, queues, workers; scheduled runs for workers and runners
    "work_pools",
    # deployments
    "deployments",
    "automations",
    # -- scheduling: POST /deployments/{id}/schedule
    "scheduling",
    # -- background tasks: claims, task workers
    "task_workers",
    "task_subscriptions",
    # -- /v2/concurrency_limits and the tag limits of /concurrency_limits
    "concurrency_limits",
)
ALWAYS_LOADED = frozenset(API_PREFIX + getattr(route, "path", "") for route in admin.router.routes)
"""The paths served before the other routes are loaded (``lazy``): health and version."""


class _Routes:
    """The API's routers (but ``admin``) and the web UI's pages, two groups ("api", "ui") added
    to ``app`` once each: both at once, or with ``lazy`` each on the first request for one of
    its paths (the API's also before the OpenAPI document is built). A server only asked for
    its health imports neither; one only used by clients never imports the UI."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.added: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def load(self, *groups: str) -> None:
        with self._lock:
            routes = self.app.router.routes
            for group in groups:
                if group not in self.added:
                    count = len(routes)
                    _add_api(self.app) if group == "api" else ui.add_pages(self.app)
                    self.added[group] = routes[count:]
            # The eager order, whichever group came first: the others (docs, admin), the
            # API's, the UI's (their paths never overlap: the UI's are all outside /api).
            ordered = [route for group in ("api", "ui") for route in self.added.get(group, ())]
            grouped = {id(route) for route in ordered}
            routes[:] = [route for route in routes if id(route) not in grouped] + ordered


def _import_route_modules() -> list[Any]:
    return [importlib.import_module(f"praefect.server.api.{name}") for name in _ROUTERS]


def _add_api(app: FastAPI) -> None:
    for module in _import_route_modules():
        app.include_router(module.router, prefix=API_PREFIX)
    _add_docs(app)


DOCS_PATH = "/docs"
"""The REST API's interactive docs (Swagger UI), its assets under ``/docs/assets``."""


def _add_docs(app: FastAPI) -> None:
    """Swagger UI from the ``swagger-ui-bundle`` package, not from a CDN: the docs page works
    on a machine with no internet access (FastAPI's default page loads its script from one)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from starlette.responses import HTMLResponse
    from starlette.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    assets = DOCS_PATH + "/assets"

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - REST API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )

    app.add_api_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
    app.mount(assets, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")


class _LoadRoutes:
    """ASGI middleware: loads a group of routes (``_Routes``) before the first request for one
    of its paths: the API's for ``/api/...`` (but ``ALWAYS_LOADED``) and the OpenAPI document
    and docs, the UI's for any other path. The imports run in a worker thread, so the event
    loop keeps answering health checks meanwhile; the routes are added on the loop."""

    def __init__(self, app: Any, routes: _Routes) -> None:
        self.app = app
        self.routes = routes
        self._lock: anyio.Lock | None = None
        fastapi_app = routes.app
        self._api_paths = {fastapi_app.openapi_url, DOCS_PATH}

    def _group(self, path: str) -> str | None:
        if path in ALWAYS_LOADED:
            return None
        if path == API_PREFIX or path.startswith(API_PREFIX + "/") or path in self._api_paths:
            return "api"
        if path.startswith(DOCS_PATH + "/"):
            return "api"
        return "ui"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            group = self._group(scope["path"])
            if group is not None and group not in self.routes.added:
                # One import at a time: two threads importing modules that import each other
                # can each be handed the other's half-initialised module.
                self._lock = self._lock or anyio.Lock()
                async with self._lock:
                    if group not in self.routes.added:
                        imports = _import_route_modules if group == "api" else ui.page_routers
                        await anyio.to_thread.run_sync(imports)
                        self.routes.load(group)
        await self.app(scope, receive, send)


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _document_batch_body(app: FastAPI, routes: _Routes) -> None:
    """Put the schemas of the batch bodies (``POST /api/task_runs/batch`` and ``/api/logs/``,
    validated by the routes themselves, not by FastAPI) into the OpenAPI document, built when
    the document is first asked for (after every route is loaded)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from praefect.server.api import logs, task_runs

            routes.load("api")
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
    settings: _settings.Settings | None = None,
    database_url: str | None = None,
    *,
    lazy: bool = False,
    listening_on: str | None = None,
) -> FastAPI:
    """The server's ASGI app on ``database_url`` (default: the settings' database), configured
    from ``settings`` (default: the current ones). The database is opened, and migrated, on the
    first request that needs it.

    With ``lazy``, the API's route modules and the web UI are imported on the first request
    for a path other than ``ALWAYS_LOADED`` (``/api/health``, ``/api/version``) and before the
    OpenAPI document is built: ``praefect server start`` answers its health check sooner, and a
    server nobody talks to holds less memory. The app serves the same routes either way.

    ``listening_on``: the address the server listens on; on a loopback address, a request
    whose ``Host`` names another host is refused (``hosts.HostGuard``)."""
    settings = settings or _settings.get_current_settings()
    app = FastAPI(
        title="praefect",
        version=admin.server_version(),
        description="The praefect REST API (Prefect 3 compatible paths and fields).",
        docs_url=None,  # served from the swagger-ui-bundle package instead (_add_docs)
        redoc_url=None,  # ReDoc exists only on a CDN
    )
    app.state.database_url = database_url or settings.resolved_database_url
    app.include_router(admin.router, prefix=API_PREFIX)
    errors.install(app)
    routes = _Routes(app)
    _document_batch_body(app, routes)
    if lazy:
        app.add_middleware(_LoadRoutes, routes=routes)
    else:
        routes.load("api", "ui")
    ui.add_guard(app)
    ui.add_not_found_page(app)
    # add_middleware wraps: the last one added is the outermost.
    app.add_middleware(storable.StorableInput)
    app.add_middleware(limits.BodySizeLimit, max_bytes=settings.server_max_body_bytes)
    app.add_middleware(
        auth.AuthMiddleware,
        auth_string=settings.server_api_auth_string,
        api_keys=auth.parse_api_keys(settings.server_api_keys),
        database_url=app.state.database_url,
    )
    origins = _split(settings.server_cors_allowed_origins)
    app.add_middleware(browsers.BrowserGuard, allowed_origins=origins, prefix=API_PREFIX)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=_split(settings.server_cors_allowed_methods) or ["*"],
            allow_headers=_split(settings.server_cors_allowed_headers) or ["*"],
        )
    extra_hosts = _split(settings.server_allowed_hosts)
    if listening_on is not None or extra_hosts:
        app.add_middleware(
            hosts.HostGuard, listening_on=listening_on or "", extra_hosts=extra_hosts
        )
    return app
