"""The service layer: runs, states and their rules, logs and events, over a database connection.

Pure Python on a SQLAlchemy ``Connection`` (no HTTP, no SDK engine): the embedded client and
the API server both call these functions, inside ``database.write`` / ``database.read``.

>>> from praefect import database, orchestration
>>> engine = database.get_engine("sqlite:///:memory:")
>>> database.write(engine, lambda conn: orchestration.flows.ensure(conn, "etl")) is not None
True
"""

from __future__ import annotations

from praefect.orchestration import (
    artifacts,
    automation_actions,
    automation_effects,
    automation_templates,
    automation_triggers,
    automations,
    blocks,
    concurrency,
    deployments,
    event_filters,
    event_intake,
    events,
    filters,
    flow_run_inputs,
    flow_runs,
    flows,
    logs,
    overview,
    pauses,
    rules,
    scheduled_runs,
    scheduling,
    task_runs,
    task_workers,
    variables,
    work_pools,
    zombies,
)

__all__ = [
    "artifacts",
    "automation_actions",
    "automation_effects",
    "automation_templates",
    "automation_triggers",
    "automations",
    "blocks",
    "concurrency",
    "deployments",
    "event_filters",
    "event_intake",
    "events",
    "filters",
    "flow_run_inputs",
    "flow_runs",
    "flows",
    "logs",
    "overview",
    "pauses",
    "rules",
    "scheduled_runs",
    "scheduling",
    "task_runs",
    "task_workers",
    "variables",
    "work_pools",
    "zombies",
]
