"""The automation pages of the web UI: every automation with its trigger and actions, one
automation with its recent actions (done, waiting, failed and why), the buttons that enable or
disable it, and a form (its JSON, checked as the API checks it) to create or edit one."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

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


_EXAMPLE = {
    "name": "my-automation",
    "description": "",
    "enabled": True,
    "trigger": {
        "type": "event",
        "expect": ["prefect.flow-run.Failed"],
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "posture": "Reactive",
        "threshold": 1,
        "within": 0,
    },
    "actions": [{"type": "do-nothing"}],
}
_EDITABLE = (
    *("name", "description", "enabled", "tags", "trigger", "actions"),
    *("actions_on_trigger", "actions_on_resolve"),
)


def _form(
    request: Request,
    text: str,
    automation: dict[str, Any] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"text": text, "automation": automation, "problem": problem}
    return templating.render(request, "automation_form.html", context, status_code=status_code)


@router.get("/automations/new")
def new_automation_page(request: Request) -> Response:
    """The form to create an automation from its JSON (an example to start from)."""
    return _form(request, json.dumps(_EXAMPLE, indent=2))


@router.get("/automations/automation/{automation_id}/edit")
def edit_automation_page(request: Request, automation_id: str) -> Response:
    """The form to edit an automation's JSON."""
    parsed = pages._parse_uuid(automation_id)
    row = None
    if parsed is not None:
        row = database.read(_engine(request), lambda c: orchestration.automations.read(c, parsed))
    if row is None:
        return pages.not_found(request, f"No automation with id {automation_id!r}.")
    text = json.dumps({k: row[k] for k in _EDITABLE}, indent=2, default=str)
    return _form(request, text, row)


async def _submitted(request: Request) -> str:
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    return form.get("automation", "")


def _parsed(text: str) -> tuple[Any, str | None]:
    """The ``AutomationCore`` of the JSON ``text``, or the message saying what is wrong."""
    from pydantic import ValidationError

    from praefect.schemas.automations import AutomationCore

    try:
        return AutomationCore.model_validate_json(text), None
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'the JSON'}: {e['msg']}"
            for e in exc.errors()[:5]
        ]
        return None, "Invalid automation: " + "; ".join(problems)


@router.post("/ui/automations/new")
async def create(request: Request) -> Response:
    """Create the automation of the submitted JSON; a bad one sends the form back (422)."""
    text = await _submitted(request)
    core, problem = _parsed(text)
    if core is None:
        return _form(request, text, problem=problem, status_code=422)
    engine = _engine(request)
    try:
        row = await _in_thread(
            lambda: database.write(engine, lambda c: orchestration.automations.create(c, core))
        )
    except ValueError as exc:
        return _form(request, text, problem=str(exc), status_code=422)
    notice = quote(f"Created automation {row['name']}.")
    return RedirectResponse(f"/automations/automation/{row['id']}?notice={notice}", 303)


@router.post("/ui/automations/{automation_id}/edit")
async def edit(request: Request, automation_id: uuid.UUID) -> Response:
    """Replace the automation with the submitted JSON; a bad one sends the form back (422)."""
    text = await _submitted(request)
    engine = _engine(request)
    row = await _in_thread(
        lambda: database.read(engine, lambda c: orchestration.automations.read(c, automation_id))
    )
    if row is None:
        return pages.not_found(request, f"No automation with id {str(automation_id)!r}.")
    core, problem = _parsed(text)
    if core is None:
        return _form(request, text, row, problem, 422)
    try:
        await _in_thread(
            lambda: database.write(
                engine, lambda c: orchestration.automations.update(c, automation_id, core)
            )
        )
    except ValueError as exc:
        return _form(request, text, row, str(exc), 422)
    notice = quote("Saved: its windows start again.")
    return RedirectResponse(f"/automations/automation/{automation_id}?notice={notice}", 303)


async def _in_thread(fn: Any) -> Any:
    import anyio

    return await anyio.to_thread.run_sync(fn)
