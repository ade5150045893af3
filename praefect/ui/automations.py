"""The automation pages of the web UI: every automation with its trigger and actions, one
automation with its recent actions (done, waiting, failed and why), and the buttons that
enable or disable it."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection, Engine

from praefect import database, orchestration
from praefect.ui import pages, templating

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _engine(request: Request) -> Engine:
    return database.get_engine(request.app.state.database_url)


def _described(row: dict[str, Any]) -> dict[str, Any]:
    """The automation with ``trigger_text`` and ``action_texts`` (as the CLI describes them)."""
    from praefect.schemas.automations import Automation

    try:
        model = Automation.model_validate(row)
    except ValueError:
        return {**row, "trigger_text": "(unreadable trigger)", "action_texts": []}
    return {
        **row,
        "trigger_text": model.trigger.describe_for_cli(),
        "action_texts": [action.describe_for_cli() for action in model.all_actions()],
    }


@router.get("/automations")
def automations_page(request: Request) -> Response:
    """Every automation: enabled or not, its trigger and its actions."""
    rows = database.read(_engine(request), orchestration.automations.read_many)
    context = {
        "automations": [_described(row) for row in rows],
        "notice": request.query_params.get("notice"),
    }
    return templating.render(request, "automations.html", context)


@router.get("/automations/automation/{automation_id}")
def automation_page(request: Request, automation_id: str) -> Response:
    """An automation: its trigger and actions (as JSON too) and its 50 newest actions run."""
    parsed = pages._parse_uuid(automation_id)

    def read(conn: Connection) -> dict[str, Any] | None:
        row = orchestration.automations.read(conn, parsed) if parsed is not None else None
        if row is None:
            return None
        runs = orchestration.automation_actions.read_runs(conn, parsed)
        return {"automation": _described(row), "runs": list(reversed(runs))[:50]}

    context = database.read(_engine(request), read)
    if context is None:
        return pages.not_found(request, f"No automation with id {automation_id!r}.")
    context["notice"] = request.query_params.get("notice")
    return templating.render(request, "automation.html", context)


def _set_enabled(request: Request, automation_id: uuid.UUID, enabled: bool) -> Response:
    done = database.write(
        _engine(request),
        lambda conn: orchestration.automations.set_enabled(conn, automation_id, enabled),
    )
    if not done:
        return pages.not_found(request, f"No automation with id {str(automation_id)!r}.")
    notice = "Automation enabled." if enabled else "Automation disabled: it counts no events."
    back = request.query_params.get("back")
    target = "/automations" if back == "list" else f"/automations/automation/{automation_id}"
    return RedirectResponse(f"{target}?notice={quote(notice)}", status_code=303)


@router.post("/ui/automations/{automation_id}/enable")
def enable(request: Request, automation_id: uuid.UUID) -> Response:
    """Enable the automation."""
    return _set_enabled(request, automation_id, True)


@router.post("/ui/automations/{automation_id}/disable")
def disable(request: Request, automation_id: uuid.UUID) -> Response:
    """Disable the automation."""
    return _set_enabled(request, automation_id, False)
