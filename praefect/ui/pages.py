"""The list pages of the web UI: the dashboard, flow runs, flows and a flow.

Each route reads through the service layer in one read transaction and renders a template; a
request sent by htmx (``HX-Request``) gets only the part of the page that changes.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas import filters, queries
from praefect.schemas.states import StateType, now_utc
from praefect.ui import templating, work_pools

__all__ = ["RANGES", "RunQuery", "router"]

router = APIRouter(include_in_schema=False)

RANGES = {
    "1h": _dt.timedelta(hours=1),
    "24h": _dt.timedelta(days=1),
    "7d": _dt.timedelta(days=7),
    "30d": _dt.timedelta(days=30),
}
"""The time ranges the lists and charts offer, by their URL value."""

PAGE_SIZE = 50


def _engine(request: Request) -> Any:
    return database.get_engine(request.app.state.database_url)


def _is_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and "hx-boosted" not in request.headers


def _parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@dataclass
class RunQuery:
    """The filters of the flow runs list, as read from (and written back to) the URL."""

    states: list[str] = field(default_factory=list)
    flow: str = ""
    deployment: str = ""
    tag: str = ""
    name: str = ""
    range: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls, request: Request) -> RunQuery:
        params = request.query_params
        query = cls(
            states=[s.upper() for s in params.getlist("state") if s],
            flow=params.get("flow", "").strip(),
            deployment=params.get("deployment", "").strip(),
            tag=params.get("tag", "").strip(),
            name=params.get("name", "").strip(),
            range=params.get("range", "").strip(),
        )
        known = {t.value for t in StateType}
        bad = [s for s in query.states if s not in known]
        if bad:
            query.errors.append(
                f"Unknown state {bad[0]!r}; expected one of: {', '.join(sorted(known))}."
            )
            query.states = [s for s in query.states if s in known]
        if query.range and query.range not in RANGES:
            query.errors.append(
                f"Unknown time range {query.range!r}; expected one of: {', '.join(RANGES)}."
            )
            query.range = ""
        for label, value in (("flow", query.flow), ("deployment", query.deployment)):
            if value and _parse_uuid(value) is None:
                query.errors.append(f"The {label} filter {value!r} is not an id (a UUID).")
        return query

    def schemas(self) -> dict[str, Any]:
        """Keyword arguments of ``orchestration.overview.page`` for these filters."""
        run_filter = filters.FlowRunFilter()
        if self.states:
            run_filter.state = filters.FlowRunFilterState(
                type=filters.FlowRunFilterStateType(any_=self.states)
            )
        if self.tag:
            run_filter.tags = filters.FlowRunFilterTags(all_=[self.tag])
        if self.name:
            run_filter.name = filters.FlowRunFilterName(like_=self.name)
        flow_id, deployment_id = _parse_uuid(self.flow), _parse_uuid(self.deployment)
        criteria = queries.FlowRunCriteria(
            flows=filters.FlowFilter(id=filters.FlowFilterId(any_=[flow_id])) if flow_id else None,
            flow_runs=run_filter if run_filter.model_fields_set else None,
            deployments=(
                filters.DeploymentFilter(id=filters.DeploymentFilterId(any_=[deployment_id]))
                if deployment_id
                else None
            ),
        )
        return {
            "criteria": criteria,
            "created_after": now_utc() - RANGES[self.range] if self.range else None,
        }

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The URL query of these filters (with ``changes``), for links."""
        values = {
            "state": self.states,
            "flow": self.flow,
            "deployment": self.deployment,
            "tag": self.tag,
            "name": self.name,
            "range": self.range,
        }
        values.update(changes)
        out: list[tuple[str, str]] = []
        for key, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                if item:
                    out.append((key, str(item)))
        return out


def _flow_choices(conn: Connection) -> list[dict[str, Any]]:
    return orchestration.flows.read_many(conn, queries.FlowQuery(limit=500))


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    """Runs by state over the last day, failures, late runs."""
    now = now_utc()
    day_ago = now - RANGES["24h"]

    def read(conn: Connection) -> dict[str, Any]:
        return {
            "counts": orchestration.overview.state_counts(conn, day_ago),
            "failed": orchestration.overview.failed_runs(conn, day_ago),
            "late": orchestration.overview.late_runs(conn, now),
            "recent": orchestration.overview.page(conn, limit=10, history=True).runs,
            "flow_count": orchestration.flows.count(conn),
            "pools": work_pools.pool_summaries(conn),
        }

    context = database.read(_engine(request), read)
    context["total"] = sum(context["counts"].values())
    template = "_dashboard_panels.html" if _is_fragment(request) else "dashboard.html"
    return templating.render(request, template, context)


@router.get("/ui/charts/runs.json")
def runs_chart(
    request: Request,
    range: str = Query("24h"),
    flow: uuid.UUID | None = None,
) -> JSONResponse:
    """Runs created per time slice, by state type, for the charts (uPlot's column layout)."""
    span = RANGES.get(range)
    if span is None:
        return JSONResponse(
            {"detail": f"Unknown range {range!r}; expected one of: {', '.join(RANGES)}."},
            status_code=422,
        )
    until = now_utc()
    data = database.read(
        _engine(request),
        lambda conn: orchestration.overview.runs_by_state(
            conn, until - span, until, buckets=48, flow_id=flow
        ),
    )
    return JSONResponse(data)


@router.get("/runs")
def runs(request: Request) -> Response:
    """Flow runs, newest first, filtered by state, flow, deployment, tag, name and time range."""
    query = RunQuery.from_request(request)
    after = request.query_params.get("after") or None
    history = not query.states  # what ran; the Scheduled state filter lists upcoming runs

    def read(conn: Connection) -> dict[str, Any]:
        try:
            found = orchestration.overview.page(
                conn, after=after, limit=PAGE_SIZE, history=history, **query.schemas()
            )
        except ValueError as exc:
            query.errors.append(str(exc))
            found = orchestration.overview.page(
                conn, limit=PAGE_SIZE, history=history, **query.schemas()
            )
        return {"page": found, "flows": [] if _is_fragment(request) else _flow_choices(conn)}

    context = database.read(_engine(request), read)
    context.update(query=query, after=after, range_names=list(RANGES))
    template = "_runs_table.html" if _is_fragment(request) else "runs.html"
    return templating.render(request, template, context)


@router.get("/flows")
def flows_page(request: Request) -> Response:
    """Every flow with its newest run and its runs of the last day by state."""
    day_ago = now_utc() - RANGES["24h"]

    def read(conn: Connection) -> list[dict[str, Any]]:
        found = orchestration.flows.read_many(conn, queries.FlowQuery(limit=500))
        counts = orchestration.overview.state_counts_by_flow(conn, day_ago)
        for flow in found:
            of_flow = filters.FlowFilter(id=filters.FlowFilterId(any_=[flow["id"]]))
            newest = orchestration.overview.page(
                conn, queries.FlowRunCriteria(flows=of_flow), limit=1, history=True
            ).runs
            flow["last_run"] = newest[0] if newest else None
            flow["counts"] = counts.get(flow["id"], {})
        return found

    found = database.read(_engine(request), read)
    return templating.render(request, "flows.html", {"flows": found})


@router.get("/flows/flow/{flow_id}")
def flow_page(request: Request, flow_id: str) -> Response:
    """A flow: its runs over time and its newest runs."""
    parsed = _parse_uuid(flow_id)
    day_ago = now_utc() - RANGES["24h"]

    def read(conn: Connection) -> dict[str, Any] | None:
        flow = orchestration.flows.read(conn, parsed) if parsed else None
        if flow is None:
            return None
        of_flow = filters.FlowFilter(id=filters.FlowFilterId(any_=[parsed]))
        return {
            "flow": flow,
            "page": orchestration.overview.page(
                conn, queries.FlowRunCriteria(flows=of_flow), limit=PAGE_SIZE, history=True
            ),
            "counts": orchestration.overview.state_counts(conn, day_ago, parsed),
        }

    context = database.read(_engine(request), read)
    if context is None:
        return not_found(request, f"No flow with id {flow_id!r}.")
    context.update(query=RunQuery(flow=str(parsed)), after=None)
    return templating.render(request, "flow.html", context)


def not_found(request: Request, message: str) -> Response:
    """The 404 page, saying what was not found."""
    return templating.render(request, "not_found.html", {"message": message}, status_code=404)
