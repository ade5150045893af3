"""The concurrency page of the web UI: every limit with its slots used, who holds each lease
(a task run, a flow run, a process) and since when; a limit can be resized or reset there."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from praefect import database, orchestration
from praefect.ui import pages, templating

__all__ = ["limits_with_holders", "router"]

router = APIRouter(include_in_schema=False)
_c = orchestration.concurrency


def _engine(request: Request) -> Engine:
    return database.get_engine(request.app.state.database_url)


def limits_with_holders(conn: Connection) -> list[dict[str, Any]]:
    """Every limit (tag limits too) with its live leases under ``leases``."""
    limits = _c.read_limits(conn, limit=500)
    for limit in limits:
        limit["tag"] = (
            limit["name"].removeprefix(_c.TAG_PREFIX)
            if limit["name"].startswith(_c.TAG_PREFIX)
            else None
        )
        limit["leases"] = _c.read_leases(conn, limit["id"]) or []
    return limits


@router.get("/concurrency")
def concurrency_page(request: Request) -> Response:
    """Every concurrency limit: slots used of its limit and the holder of each lease."""
    context = {
        "limits": database.read(_engine(request), limits_with_holders),
        "notice": request.query_params.get("notice"),
        "error": request.query_params.get("error"),
    }
    return templating.render(request, "concurrency.html", context)


def _back(notice: str, key: str = "notice") -> Response:
    return RedirectResponse(f"/concurrency?{key}={quote(notice)}", status_code=303)


@router.post("/ui/concurrency/{limit_id}/reset")
def reset(request: Request, limit_id: uuid.UUID) -> Response:
    """Free every slot of the limit (held by runs that no longer run, say)."""
    done = database.write(
        _engine(request), lambda conn: _c.update_limit(conn, limit_id, {"active_slots": 0})
    )
    if not done:
        return pages.not_found(request, f"No concurrency limit with id {str(limit_id)!r}.")
    return _back("Every slot of the limit was freed.")


@router.post("/ui/concurrency/{limit_id}/limit")
async def set_limit(request: Request, limit_id: uuid.UUID) -> Response:
    """Resize the limit (waiters get in at once when it grows)."""
    # a plain urlencoded form: parsed here, so no multipart parser is needed
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    limit = form.get("limit", "")
    try:
        size = int(limit)
        if size < 0:
            raise ValueError
    except ValueError:
        return _back(f"The limit must be a whole number, 0 or more; got {limit!r}.", "error")
    done = await run_in_threadpool(
        database.write,
        _engine(request),
        lambda conn: _c.update_limit(conn, limit_id, {"limit": size}),
    )
    if not done:
        return pages.not_found(request, f"No concurrency limit with id {str(limit_id)!r}.")
    return _back(f"The limit is now {size}.")
