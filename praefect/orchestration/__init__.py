"""The service layer: runs, states and their rules, logs and events, over a database connection.

Pure Python on a SQLAlchemy ``Connection`` (no HTTP, no SDK engine): the embedded client and
the API server both call these functions, inside ``database.write`` / ``database.read``.

>>> from praefect import database, orchestration
>>> engine = database.get_engine("sqlite:///:memory:")
>>> database.write(engine, lambda conn: orchestration.flows.ensure(conn, "etl")) is not None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # Each part is imported when first used: a plain flow run needs flows, runs and events,
    # not automations or concurrency (their pydantic models cost ~0.3 s of CPU to import).
    if name in __all__:
        import importlib

        return importlib.import_module(f"praefect.orchestration.{name}")
    raise AttributeError(f"module 'praefect.orchestration' has no attribute {name!r}")
