"""The run pages of the web UI: a flow run (state, history, parameters, task graph, timeline,
logs, subflows, and the cancel / retry / resume buttons) and a task run.

The buttons post forms to ``/ui/flow-runs/<id>/<action>``; the action proposes a state through
the service layer's rules, exactly as ``POST /api/flow_runs/<id>/set_state`` does, and the page
comes back with what the rules answered.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas import filters, queries
from praefect.schemas.states import TERMINAL_STATES, State, StateType
from praefect.ui import artifacts, pages, run_form, templating
from praefect.ui import events as ui_events

__all__ = ["LOG_LINES", "graph_nodes", "log_line", "router", "task_node"]

router = APIRouter(include_in_schema=False)

LOG_LINES = 500
"""The newest log lines a run page shows at first (live lines are added after them)."""

_CANCELLABLE = frozenset({"SCHEDULED", "PENDING", "RUNNING", "PAUSED"})
_RETRYABLE = frozenset({"FAILED", "CRASHED", "CANCELLED"})


def _upstream(task_inputs: dict[str, Any] | None) -> list[str]:
    seen: dict[str, None] = {}
    for inputs in (task_inputs or {}).values():
        for item in inputs or ():
            if isinstance(item, dict) and item.get("input_type", "task_run") == "task_run":
                if item.get("id"):
                    seen.setdefault(str(item["id"]), None)
    return list(seen)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def task_node(row: dict[str, Any]) -> dict[str, Any]:
    """A task run as the graph and timeline draw it.

    >>> node = task_node({"id": uuid.UUID(int=1), "name": "load-0", "state_type": "COMPLETED",
    ...                   "state_name": "Completed", "task_inputs": {}})
    >>> node["id"], node["state"], node["up"]
    ('00000000-0000-0000-0000-000000000001', 'COMPLETED', [])
    """
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "state": row.get("state_type"),
        "state_name": row.get("state_name"),
        "start": _iso(row.get("start_time")),
        "end": _iso(row.get("end_time")),
        "up": _upstream(row.get("task_inputs")),
    }


def log_line(row: dict[str, Any], task_names: dict[str, str]) -> dict[str, Any]:
    """A log row as the page's script shows it."""
    task_run_id = row.get("task_run_id")
    return {
        "id": str(row["id"]),
        "level": row["level"],
        "level_name": templating.level_name(row["level"]),
        "ts": row["timestamp"].isoformat(),
        "name": row["name"],
        "message": row["message"],
        "task_run_id": None if task_run_id is None else str(task_run_id),
        "task": None if task_run_id is None else task_names.get(str(task_run_id)),
    }


def graph_nodes(conn: Connection, flow_run_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every task run of a flow run as a graph node, in the order they were expected to start."""
    return [task_node(row) for row in orchestration.overview.task_runs_of(conn, flow_run_id)]


def _logs(conn: Connection, log_filter: filters.LogFilter) -> list[dict[str, Any]]:
    newest = orchestration.logs.read_many(
        conn, queries.LogQuery(logs=log_filter, limit=LOG_LINES, sort="TIMESTAMP_DESC")
    )
    newest.reverse()
    return newest


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """The fields of a run the live stream sends when its state changes."""
    state = run.get("state")
    return {
        "state": run.get("state_type"),
        "state_name": run.get("state_name"),
        "message": getattr(state, "message", None),
        "duration": templating.duration(templating._run_duration(run)),
        "start": _iso(run.get("start_time")),
        "end": _iso(run.get("end_time")),
    }


@router.get("/runs/flow-run/{flow_run_id}")
def flow_run_page(request: Request, flow_run_id: str) -> Response:
    """A flow run with everything about it (a paused run's resume form too)."""
    return _flow_run_response(request, flow_run_id)


def _resume_input(conn: Connection, run: dict[str, Any]) -> dict[str, Any]:
    """What a paused run's resume form is built from: the JSON schema of the input it waits
    for (None: it asks for none) and the input's description."""
    schema = orchestration.pauses.input_schema(conn, run)
    description = None
    keyset = run["state"].state_details.get("run_input_keyset") if run["state"] else None
    if schema is not None and keyset:
        saved = orchestration.flow_run_inputs.read(conn, run["id"], keyset["description"])
        description = json.loads(saved["value"]) if saved is not None else None
    return {"schema": schema, "description": description}


def _flow_run_response(
    request: Request,
    flow_run_id: str,
    resume_fields: list[run_form.Field] | None = None,
    resume_problem: str | None = None,
    status_code: int = 200,
) -> Response:
    run_id = pages._parse_uuid(flow_run_id)

    def read(conn: Connection) -> dict[str, Any] | None:
        if run_id is None:
            return None
        run = orchestration.flow_runs.read(conn, run_id)
        if run is None:
            return None
        nodes = graph_nodes(conn, run_id)
        names = {node["id"]: node["name"] for node in nodes}
        logs = _logs(conn, filters.LogFilter(flow_run_id=filters.LogFilterFlowRunId(any_=[run_id])))
        subflows = orchestration.overview.subflow_runs(conn, run_id)
        parent = None
        if run["parent_task_run_id"] is not None:
            parent_task = orchestration.task_runs.read(conn, run["parent_task_run_id"])
            if parent_task is not None and parent_task["flow_run_id"] is not None:
                parent = orchestration.flow_runs.read(conn, parent_task["flow_run_id"])
        return {
            "run": run,
            "flow": orchestration.flows.read(conn, run["flow_id"]),
            "states": orchestration.flow_runs.read_states(conn, run_id),
            "nodes": nodes,
            "logs": [log_line(row, names) for row in logs],
            "subflows": subflows,
            "parent": parent,
            "deployment": (
                orchestration.deployments.read(conn, run["deployment_id"])
                if run["deployment_id"] is not None
                else None
            ),
            "resume_input": _resume_input(conn, run) if run["state_type"] == "PAUSED" else None,
            "artifacts": artifacts.for_flow_run(conn, run_id),
            "events": ui_events.about(conn, f"prefect.flow-run.{run_id}"),
        }

    context = database.read(pages._engine(request), read)
    if context is None:
        return pages.not_found(request, f"No flow run with id {flow_run_id!r}.")
    run = context["run"]
    context.update(
        summary=_run_summary(run),
        can_cancel=run["state_type"] in _CANCELLABLE,
        can_retry=run["state_type"] in _RETRYABLE,
        retry_needs_deployment=run["deployment_id"] is None,
        can_resume=run["state_type"] == "PAUSED",
        notice=request.query_params.get("notice"),
        final=run["state_type"] in TERMINAL_STATES,
        resume_fields=None,
        resume_problem=resume_problem,
        input_description=None,
        pause_expires=None,
    )
    wanted = context.pop("resume_input")
    if wanted is not None:
        expires = run["state"].state_details.get("pause_timeout")
        context["pause_expires"] = _iso(expires) if not isinstance(expires, str) else expires
        if wanted["schema"] is not None:
            context["input_description"] = wanted["description"]
            context["resume_fields"] = resume_fields or run_form.fields(wanted["schema"], {})
    return templating.render(request, "flow_run.html", context, status_code=status_code)


@router.get("/ui/flow-runs/{flow_run_id}/graph.json")
def flow_run_graph(request: Request, flow_run_id: uuid.UUID) -> JSONResponse:
    """The task runs of a flow run as graph nodes (``id, name, state, start, end, up``)."""
    nodes = database.read(pages._engine(request), lambda conn: graph_nodes(conn, flow_run_id))
    return JSONResponse(nodes)


@router.get("/runs/task-run/{task_run_id}")
def task_run_page(request: Request, task_run_id: str) -> Response:
    """A task run: its state and history, inputs, flow run and logs."""
    parsed = pages._parse_uuid(task_run_id)

    def read(conn: Connection) -> dict[str, Any] | None:
        if parsed is None:
            return None
        task = orchestration.task_runs.read(conn, parsed)
        if task is None:
            return None
        upstream_ids = _upstream(task.get("task_inputs"))
        upstream = []
        for up_id in upstream_ids:
            found = orchestration.task_runs.read(conn, uuid.UUID(up_id))
            if found is not None:
                upstream.append(found)
        flow_run = None
        if task["flow_run_id"] is not None:
            flow_run = orchestration.flow_runs.read(conn, task["flow_run_id"])
        logs = _logs(conn, filters.LogFilter(task_run_id=filters.LogFilterTaskRunId(any_=[parsed])))
        return {
            "task": task,
            "states": orchestration.task_runs.read_states(conn, parsed),
            "upstream": upstream,
            "flow_run": flow_run,
            "logs": [log_line(row, {str(parsed): task["name"]}) for row in logs],
            "artifacts": artifacts.for_task_run(conn, parsed),
            "events": ui_events.about(conn, f"prefect.task-run.{parsed}"),
        }

    context = database.read(pages._engine(request), read)
    if context is None:
        return pages.not_found(request, f"No task run with id {task_run_id!r}.")
    task = context["task"]
    context.update(summary=_run_summary(task), final=task["state_type"] in TERMINAL_STATES)
    return templating.render(request, "task_run.html", context)


def _redirect(flow_run_id: uuid.UUID, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/runs/flow-run/{flow_run_id}?notice={quote(notice)}", status_code=303)


def _propose(request: Request, flow_run_id: uuid.UUID, state: State, verb: str) -> Response:
    try:
        result = database.write(
            pages._engine(request),
            lambda conn: orchestration.flow_runs.set_state(conn, flow_run_id, state),
        )
    except exceptions.FlowRunNotFound:
        return pages.not_found(request, f"No flow run with id {str(flow_run_id)!r}.")
    status = result.status.value
    current = result.state
    reason = result.details.reason if result.details is not None else None
    if status in ("ACCEPT", "REJECT") and current is not None:
        notice = f"{verb}: the run is now {current.name}."
        if reason and status == "REJECT":
            notice += f" {reason}"
    else:
        notice = f"Not {verb.lower()} ({status}): {reason or 'no reason given'}."
    return _redirect(flow_run_id, notice)


@router.post("/ui/flow-runs/{flow_run_id}/cancel")
def cancel(request: Request, flow_run_id: uuid.UUID) -> Response:
    """Propose Cancelling (a run with no process to stop becomes Cancelled at once)."""
    state = State(StateType.CANCELLING, message="Cancelled from the web UI.")
    return _propose(request, flow_run_id, state, "Cancelled")


@router.post("/ui/flow-runs/{flow_run_id}/retry")
def retry(request: Request, flow_run_id: uuid.UUID) -> Response:
    """Schedule a finished run of a deployment again (AwaitingRetry), for a worker to pick up."""
    state = State(StateType.SCHEDULED, name="AwaitingRetry", message="Retried from the web UI.")
    return _propose(request, flow_run_id, state, "Retried")


@router.post("/ui/flow-runs/{flow_run_id}/resume")
async def resume(request: Request, flow_run_id: uuid.UUID) -> Response:
    """Resume a paused run with the input of its form, checked against the schema the run
    asked for: a bad value sends the form back (422) with the field's message, and the run
    stays paused."""
    # a plain urlencoded form (no file fields): parsed here, so no multipart parser is needed
    form = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    return await anyio.to_thread.run_sync(_resume, request, flow_run_id, form)


def _resume(request: Request, flow_run_id: uuid.UUID, form: dict[str, str]) -> Response:
    engine = pages._engine(request)

    def read(conn: Connection) -> dict[str, Any] | None:
        run = orchestration.flow_runs.read(conn, flow_run_id)
        return _resume_input(conn, run) if run is not None else None

    wanted = database.read(engine, read)
    if wanted is None:
        return pages.not_found(request, f"No flow run with id {str(flow_run_id)!r}.")
    schema = wanted["schema"]
    form_fields: list[run_form.Field] | None = None
    run_input: dict[str, Any] | None = None
    if schema is not None:
        form_fields = run_form.fields(schema, {})
        run_input, errors = run_form.parse(form_fields, form, schema)
        if errors:
            problem = "Fix the fields marked below: the run stays paused."
            return _flow_run_response(request, str(flow_run_id), form_fields, problem, 422)
    try:
        result = database.write(
            engine, lambda conn: orchestration.pauses.resume(conn, flow_run_id, run_input)
        )
    except exceptions.NotPausedError as exc:
        return _redirect(flow_run_id, f"Not resumed: {exc}")
    except orchestration.pauses.RunInputInvalid as exc:
        return _flow_run_response(request, str(flow_run_id), form_fields, str(exc), 422)
    current = result.state
    if result.status.value == "ACCEPT" and current is not None:
        return _redirect(flow_run_id, f"Resumed: the run is now {current.name}.")
    reason = result.details.reason if result.details is not None else None
    return _redirect(flow_run_id, f"Not resumed: {reason or 'the rules refused'}.")
