"""Prefect's ``prefect.client.schemas``: the wire models, defined once in ``praefect.schemas``."""

from __future__ import annotations

from praefect.client.schemas import actions, filters, objects, responses, sorting
from praefect.schemas.objects import Flow, FlowRun, Log, State, StateType, TaskRun
from praefect.schemas.responses import OrchestrationResult, SetStateStatus

__all__ = [
    "Flow",
    "FlowRun",
    "Log",
    "OrchestrationResult",
    "SetStateStatus",
    "State",
    "StateType",
    "TaskRun",
    "actions",
    "filters",
    "objects",
    "responses",
    "sorting",
]
