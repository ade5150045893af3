"""The variables page of the web UI: every variable with its value and tags, and the forms to
create, edit and delete them (an operator's actions)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from praefect import database, exceptions, orchestration
from praefect.schemas.variables import VariableQuery
from praefect.ui import pages, templating

__all__ = ["parse_value", "router"]

router = APIRouter(include_in_schema=False)


def parse_value(text: str) -> Any:
    """The value typed in the form: JSON when it parses as JSON, else the text itself.

    >>> parse_value('{"a": 1}'), parse_value("eu-west-1"), parse_value("3")
    ({'a': 1}, 'eu-west-1', 3)
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2)


async def _form(request: Request) -> dict[str, str]:
    # a plain urlencoded form: parsed here, so no multipart parser is needed
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _back(notice: str, error: bool = False) -> RedirectResponse:
    kind = "error" if error else "notice"
    return RedirectResponse(f"/variables?{kind}={quote(notice)}", status_code=303)


@router.get("/variables")
def variables_page(request: Request) -> Response:
    """Every variable, by name, with the forms to create, edit and delete them."""
    rows = database.read(
        pages._engine(request),
        lambda conn: orchestration.variables.read_many(conn, VariableQuery(limit=1000)),
    )
    for row in rows:
        row["shown"] = _shown(row["value"])
        row["kind"] = type(row["value"]).__name__ if row["value"] is not None else "null"
    context = {
        "variables": rows,
        "notice": request.query_params.get("notice"),
        "error": request.query_params.get("error"),
    }
    return templating.render(request, "variables.html", context)


def _write(request: Request, fn: Any) -> Any:
    return database.write(pages._engine(request), fn)


@router.post("/ui/variables")
async def create_variable(request: Request) -> Response:
    """Create a variable from the form (``name``, ``value``, ``tags``)."""
    form = await _form(request)
    name = form.get("name", "").strip()
    fields = {
        "name": name,
        "value": parse_value(form.get("value", "")),
        "tags": _tags(form.get("tags", "")),
    }
    try:
        await run_in_threadpool(
            _write, request, lambda conn: orchestration.variables.create(conn, fields)
        )
    except (ValueError, exceptions.ObjectAlreadyExists) as exc:
        return _back(str(exc), error=True)
    return _back(f"Created variable {name!r}.")


@router.post("/ui/variables/{name}/update")
async def update_variable(request: Request, name: str) -> Response:
    """Replace a variable's value and tags from the form."""
    form = await _form(request)
    changes = {"value": parse_value(form.get("value", "")), "tags": _tags(form.get("tags", ""))}
    try:
        found = await run_in_threadpool(
            _write, request, lambda conn: orchestration.variables.update(conn, name, changes)
        )
    except (ValueError, exceptions.ObjectAlreadyExists) as exc:
        return _back(str(exc), error=True)
    if not found:
        return _back(f"No variable named {name!r}.", error=True)
    return _back(f"Saved variable {name!r}.")


@router.post("/ui/variables/{name}/delete")
def delete_variable(request: Request, name: str) -> Response:
    """Delete a variable."""
    if not _write(request, lambda conn: orchestration.variables.delete(conn, name)):
        return _back(f"No variable named {name!r}.", error=True)
    return _back(f"Deleted variable {name!r}.")
