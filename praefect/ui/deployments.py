"""The deployment pages of the web UI: every deployment, and one deployment with its
schedules, default parameters, runs and a "run" form generated from its parameter schema."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas import filters, queries
from praefect.ui import pages, run_form, templating

__all__ = ["describe_schedule", "router"]

router = APIRouter(include_in_schema=False)


def describe_schedule(schedule: dict[str, Any]) -> str:
    """A schedule in words.

    >>> describe_schedule({"cron": "0 9 * * 1-5", "timezone": "Europe/Paris"})
    'cron 0 9 * * 1-5 (Europe/Paris)'
    >>> describe_schedule({"interval": 3600.0})
    'every 1h 00m'
    """
    zone = schedule.get("timezone")
    suffix = f" ({zone})" if zone else ""
    if "cron" in schedule:
        return f"cron {schedule['cron']}{suffix}"
    if "interval" in schedule:
        seconds = schedule["interval"]
        if isinstance(seconds, dict):  # a timedelta dumped as parts
            seconds = _dt.timedelta(**seconds).total_seconds()
        return f"every {templating.duration(float(seconds))}{suffix}"
    if "rrule" in schedule:
        return f"rrule {schedule['rrule']}{suffix}"
    return str(schedule)


def _engine(request: Request) -> Any:
    return pages._engine(request)


@router.get("/deployments")
def deployments_page(request: Request) -> Response:
    """Every deployment, by flow and name."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        found = orchestration.deployments.read_many(conn, queries.DeploymentQuery(limit=500))
        names = {
            f["id"]: f["name"]
            for f in orchestration.flows.read_many(conn, queries.FlowQuery(limit=5000))
        }
        for deployment in found:
            deployment["flow_name"] = names.get(deployment["flow_id"], "?")
            of = filters.DeploymentFilter(id=filters.DeploymentFilterId(any_=[deployment["id"]]))
            newest = orchestration.overview.page(
                conn, queries.FlowRunCriteria(deployments=of), limit=1, history=True
            ).runs
            deployment["last_run"] = newest[0] if newest else None
        found.sort(key=lambda d: (d["flow_name"], d["name"]))
        return found

    found = database.read(_engine(request), read)
    return templating.render(
        request, "deployments.html", {"deployments": found, "describe": describe_schedule}
    )


def _deployment_context(conn: Connection, deployment_id: uuid.UUID) -> dict[str, Any] | None:
    deployment = orchestration.deployments.read(conn, deployment_id)
    if deployment is None:
        return None
    of = filters.DeploymentFilter(id=filters.DeploymentFilterId(any_=[deployment_id]))
    return {
        "deployment": deployment,
        "flow": orchestration.flows.read(conn, deployment["flow_id"]),
        "runs": orchestration.overview.page(
            conn, queries.FlowRunCriteria(deployments=of), limit=20, history=True
        ).runs,
        "upcoming": orchestration.overview.upcoming(
            conn, queries.FlowRunCriteria(deployments=of), limit=10
        ),
        "describe": describe_schedule,
    }


def _render(
    request: Request,
    context: dict[str, Any],
    form_fields: list[run_form.Field],
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    context.update(
        fields=form_fields,
        problem=problem,
        notice=request.query_params.get("notice"),
        run_name=context.get("run_name", ""),
    )
    return templating.render(request, "deployment.html", context, status_code=status_code)


@router.get("/deployments/deployment/{deployment_id}")
def deployment_page(request: Request, deployment_id: str) -> Response:
    """A deployment: its schedules, parameters, runs, and the form to run it."""
    parsed = pages._parse_uuid(deployment_id)
    context = None
    if parsed is not None:
        context = database.read(_engine(request), lambda c: _deployment_context(c, parsed))
    if context is None:
        return pages.not_found(request, f"No deployment with id {deployment_id!r}.")
    deployment = context["deployment"]
    form_fields = run_form.fields(
        deployment["parameter_openapi_schema"], deployment["parameters"] or {}
    )
    return _render(request, context, form_fields)


@router.post("/ui/deployments/{deployment_id}/run")
async def run_deployment(request: Request, deployment_id: uuid.UUID) -> Response:
    """Create a run of the deployment from the submitted form; a bad value sends the form
    back (422) with the field's message."""
    # a plain urlencoded form (no file fields): parsed here, so no multipart parser is needed
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    engine = _engine(request)
    context = await _in_thread(
        lambda: database.read(engine, lambda c: _deployment_context(c, deployment_id))
    )
    if context is None:
        return pages.not_found(request, f"No deployment with id {str(deployment_id)!r}.")
    deployment = context["deployment"]
    schema = deployment["parameter_openapi_schema"]
    form_fields = run_form.fields(schema, deployment["parameters"] or {})
    parameters, errors = run_form.parse(form_fields, form, schema or None)
    context["run_name"] = form.get("run_name", "")
    if errors:
        return _render(request, context, form_fields, 422, "Fix the fields marked below.")
    run = {"parameters": parameters, "name": form.get("run_name") or None}
    try:
        created = await _in_thread(
            lambda: database.write(
                engine,
                lambda c: orchestration.deployments.create_flow_run(c, deployment_id, run),
            )
        )
    except (ValueError, exceptions.ObjectNotFound) as exc:
        return _render(request, context, form_fields, 422, str(exc))
    notice = f"Created run {created['name']} of deployment {deployment['name']}."
    return RedirectResponse(
        f"/runs/flow-run/{created['id']}?notice={quote(notice)}", status_code=303
    )


async def _in_thread(fn: Any) -> Any:
    import anyio

    return await anyio.to_thread.run_sync(fn)
