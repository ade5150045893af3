"""The Jinja2 environment of the web UI and the filters its templates format values with.

>>> duration(75.5)
'1m 15s'
>>> level_name(30)
'WARNING'
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "LEVELS",
    "STATE_TYPES",
    "duration",
    "environment",
    "level_name",
    "render",
    "resource_link",
    "timestamp",
]

STATE_TYPES = (
    "COMPLETED",
    "RUNNING",
    "SCHEDULED",
    "PENDING",
    "FAILED",
    "CRASHED",
    "CANCELLING",
    "CANCELLED",
    "PAUSED",
)
"""State types in the order the UI lists them (legend, filters, chart series)."""

LEVELS = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
"""Log levels by number."""


def duration(seconds: float | None) -> str:
    """A short human duration: ``'0.42s'``, ``'12.3s'``, ``'4m 05s'``, ``'2h 03m'``.

    >>> [duration(s) for s in (None, 0.42, 12.34, 245, 7380, 200000)]
    ['—', '0.42s', '12.3s', '4m 05s', '2h 03m', '2d 07h']
    """
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def timestamp(value: _dt.datetime | None) -> Markup:
    """A ``<time>`` element in UTC that the page's script shows in the viewer's time zone.

    >>> str(timestamp(_dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=_dt.UTC)))
    '<time class="ts" datetime="2026-01-02T03:04:05+00:00">2026-01-02 03:04:05 UTC</time>'
    """
    if value is None:
        return Markup('<span class="muted">—</span>')
    value = value.astimezone(_dt.UTC).replace(microsecond=0)
    text = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time class="ts" datetime="{}">{}</time>').format(value.isoformat(), text)


def level_name(level: int) -> str:
    """The name of a log level number (``'Level 25'`` for one without a name)."""
    return LEVELS.get(level, f"Level {level}")


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _run_duration(run: dict[str, Any]) -> float | None:
    """The run's time in Running, counting the current stretch of a running run."""
    total = run.get("total_run_time") or 0.0
    if run.get("state_type") == "RUNNING" and run.get("state_timestamp") is not None:
        total += (_dt.datetime.now(_dt.UTC) - run["state_timestamp"]).total_seconds()
    if total == 0.0 and run.get("start_time") is None:
        return None
    return max(total, 0.0)


_RESOURCE_PAGES = {
    "prefect.flow-run.": "/runs/flow-run/",
    "prefect.task-run.": "/runs/task-run/",
    "prefect.flow.": "/flows/flow/",
    "prefect.deployment.": "/deployments/deployment/",
    "prefect.work-pool.": None,
    "prefect.automation.": "/automations/automation/",
}


def resource_link(resource_id: str | None) -> str | None:
    """The UI page of an event's resource (a run, flow, deployment, automation), or None.

    >>> resource_link("prefect.flow-run.0a1b"), resource_link("acme.order.1")
    ('/runs/flow-run/0a1b', None)
    """
    for prefix, page in _RESOURCE_PAGES.items():
        if resource_id and resource_id.startswith(prefix) and page is not None:
            return page + resource_id[len(prefix) :]
    return None


def environment() -> jinja2.Environment:
    """The templates of ``praefect/ui/templates``, HTML-escaped, with the UI's filters."""
    # Imported on the first page rendered: a server used only through the API never loads
    # Jinja2 (2.8 MiB of its idle memory).
    import jinja2

    from praefect.ui import artifact_views

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("praefect.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        duration=duration,
        ts=timestamp,
        level_name=level_name,
        pretty_json=_pretty_json,
        run_duration=_run_duration,
        state_class=lambda kind: (kind or "unknown").lower(),
        markdown=artifact_views.markdown,
        table_rows=artifact_views.table_rows,
        progress=artifact_views.progress,
        resource_link=resource_link,
    )
    env.globals.update(STATE_TYPES=STATE_TYPES, LEVELS=LEVELS)
    return env


_env: jinja2.Environment | None = None


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """The template ``name`` rendered with ``context`` (plus ``request``, ``path`` and the
    browser's ``csrf_token`` for its forms, see ``guard``)."""
    global _env
    if _env is None:
        _env = environment()
    html = _env.get_template(name).render(
        request=request,
        path=request.url.path,
        now_iso=now_utc().isoformat(),
        csrf_token=getattr(request.state, "csrf_token", ""),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
