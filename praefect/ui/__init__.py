"""The web UI: server-rendered pages (Jinja2 + htmx) with live updates over server-sent events.

``install(app)`` adds the pages to the server's app (``create_app`` does it): ``/`` opens the
dashboard, and the paths follow Prefect's UI (``/runs``, ``/runs/flow-run/<id>``, ``/flows``,
...). The pages read through the same service layer (``praefect.orchestration``) as the REST
API, behind the same authentication. Scripts and styles are static files under ``/static``
(small libraries vendored in ``static/vendor``): nothing is built, nothing comes from a CDN.

>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> app = FastAPI()
>>> app.state.database_url = "sqlite:///:memory:"
>>> install(app)
>>> TestClient(app).get("/runs").status_code
200
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI

__all__ = ["STATIC_DIR", "add_guard", "add_not_found_page", "add_pages", "install", "page_routers"]

STATIC_DIR = Path(__file__).parent / "static"
"""The UI's scripts, styles and vendored libraries, served under ``/static``."""


def install(app: FastAPI) -> None:
    """Add the UI's pages, live streams, actions and static files to ``app`` (whose
    ``app.state.database_url`` names the database)."""
    add_pages(app)
    add_guard(app)
    add_not_found_page(app)


def page_routers() -> list[APIRouter]:
    """The routers of the pages, live streams and actions (importing the UI's modules: the
    server does it on its first request for a page)."""
    from praefect.ui import (
        artifacts,
        automations,
        concurrency,
        deployments,
        events,
        live,
        pages,
        runs,
        search,
        task_workers,
        variables,
        work_pools,
    )

    modules = [pages, runs, deployments, work_pools, task_workers, automations, concurrency]
    modules += [variables, artifacts, events, search, live]
    return [module.router for module in modules]


def add_pages(app: FastAPI) -> None:
    """Add the pages, live streams, actions and static files."""
    from starlette.staticfiles import StaticFiles

    for router in page_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def add_guard(app: FastAPI) -> None:
    """Add the middleware that gives each browser a CSRF token and refuses cross-site posts
    to the UI's actions (before the app starts: Starlette adds no middleware later)."""
    from praefect.ui import guard

    app.add_middleware(guard.FormGuard)


def add_not_found_page(app: FastAPI) -> None:
    """Answer a browser's request for a path that is no page with the UI's 404 page (links
    back to the runs and the dashboard) instead of ``{"detail": "Not Found"}``; the API's
    paths and non-browser clients keep the JSON answer."""
    from fastapi.exception_handlers import http_exception_handler
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        wants_page = "text/html" in request.headers.get("accept", "")
        if (
            exc.status_code == 404
            and wants_page
            and path != "/api"
            and not path.startswith("/api/")
        ):
            from praefect.ui import pages

            return pages.not_found(request, f"There is no page at {path}.")
        return await http_exception_handler(request, exc)

    app.add_exception_handler(HTTPException, not_found)
