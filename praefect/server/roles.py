"""Which role each request needs: ``viewer`` reads, ``operator`` runs things, ``admin`` changes
what runs and where.

The rules are by method and path, first match wins; a path no rule names needs ``admin`` (a new
route is closed until it is placed here). The table in docs/security.md is this list in words.

>>> required_role("POST", "/api/flow_runs/filter")
'viewer'
>>> required_role("POST", "/api/flow_runs/0b8e.../set_state")
'operator'
>>> required_role("PATCH", "/api/deployments/0b8e...")
'admin'
>>> required_role("WEBSOCKET", "/api/events/out")
'viewer'
"""

from __future__ import annotations

import functools
import re

__all__ = ["JOB_VARIABLES_PATHS", "RANK", "allows", "required_role"]

RANK = {"viewer": 0, "operator": 1, "admin": 2}
"""Each role may do what the roles of lower rank may."""

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ID = r"[^/]+"

# (methods or None for any, path pattern, role): first match wins
_RULES: tuple[tuple[frozenset[str] | None, re.Pattern[str], str], ...] = tuple(
    (methods, re.compile(pattern), role)
    for methods, pattern, role in (
        # block documents hold credentials: reading them is running things
        (None, r"/api/block_documents(/.*)?", "operator"),
        (None, r"/api/block_types/slug/[^/]+/block_documents(/.*)?", "operator"),
        (_READ_METHODS, r"/api/.*", "viewer"),
        # WebSockets (the method of their scope is taken as "WEBSOCKET"): subscriptions read
        (frozenset({"WEBSOCKET"}), r"/api/(events|logs)/out", "viewer"),
        (frozenset({"WEBSOCKET"}), r"/api/events/in", "operator"),
        (frozenset({"POST"}), r"/api/.*/(filter|count|paginate|history)", "viewer"),
        (frozenset({"POST"}), r"/api/events/count-by/[^/]+", "viewer"),
        (frozenset({"POST"}), r"/api/ui/.*", "viewer"),
        # running flows: their flows, runs, states, task runs, logs and events
        (frozenset({"POST"}), r"/api/flows/?", "operator"),
        (frozenset({"POST"}), r"/api/flow_runs/?", "operator"),
        (None, rf"/api/flow_runs/{_ID}(/.*)?", "operator"),
        (None, r"/api/task_runs(/.*)?", "operator"),
        # task workers claiming background runs (/task_runs/claim, above) and reporting in
        (frozenset({"POST", "DELETE"}), r"/api/task_workers/.+", "operator"),
        (frozenset({"POST"}), r"/api/logs/?", "operator"),
        (frozenset({"POST"}), r"/api/events(/.*)?", "operator"),
        # runs taking, renewing and giving back concurrency slots
        (
            frozenset({"POST"}),
            r"/api/v2/concurrency_limits/(increment|decrement)(-with-lease)?",
            "operator",
        ),
        (frozenset({"POST"}), rf"/api/v2/concurrency_limits/leases/{_ID}/renew", "operator"),
        (frozenset({"POST"}), r"/api/concurrency_limits/(increment|decrement)", "operator"),
        # running deployments as they are; workers asking for work and reporting in
        (
            frozenset({"POST"}),
            rf"/api/deployments/{_ID}/(create_flow_run|schedule|pause_deployment|resume_deployment)",
            "operator",
        ),
        (frozenset({"POST"}), r"/api/deployments/get_scheduled_flow_runs", "operator"),
        (
            frozenset({"POST"}),
            rf"/api/work_pools/{_ID}/(get_scheduled_flow_runs|workers/heartbeat)",
            "operator",
        ),
        # the UI's automation forms write automations (which run deployments): an admin's
        (frozenset({"POST"}), rf"/ui/automations/(new|{_ID}/edit)", "admin"),
        # the UI's resizing and resetting of concurrency limits: an admin's, as over the API
        (frozenset({"POST"}), r"/ui/concurrency/.*", "admin"),
        # the UI's actions: cancel, retry, resume a run, run a deployment, enable an automation
        (frozenset({"POST"}), r"/ui/.*", "operator"),
        # the UI's pages
        (_READ_METHODS, r"/.*", "viewer"),
    )
)

JOB_VARIABLES_PATHS = (
    re.compile(r"/api/flow_runs/?"),
    re.compile(rf"/api/flow_runs/{_ID}"),
    re.compile(rf"/api/deployments/{_ID}/create_flow_run"),
)
"""Routes an operator may call, but not with ``job_variables``: they change the command and
environment a worker runs the flow with, which is an admin's to set."""


@functools.lru_cache(maxsize=4096)  # the hot paths (batches, logs, set_state) repeat
def required_role(method: str, path: str) -> str:
    """The least role that may send ``method`` to ``path``."""
    for methods, pattern, role in _RULES:
        if (methods is None or method in methods) and pattern.fullmatch(path):
            return role
    return "admin"


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what needs ``needed``."""
    return RANK[role] >= RANK[needed]
