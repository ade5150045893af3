"""Helpers for the engine tests: read back what a run left in the store, the way a user would,
through ``praefect.get_client(sync_client=True)``.

Isolation (a fresh ``PRAEFECT_HOME`` and database per test) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import praefect
from praefect.states import State


@pytest.fixture
def client() -> Iterator[Any]:
    """Prefect's sync client onto this test's embedded store."""
    with praefect.get_client(sync_client=True) as c:
        yield c


def flow_run_id_of(state: State) -> uuid.UUID:
    """The flow run a returned flow state belongs to."""
    run_id = state.state_details.flow_run_id
    assert run_id is not None, f"{state!r} carries no flow_run_id"
    return uuid.UUID(str(run_id))


def task_runs_of(client: Any, flow_run_id: uuid.UUID) -> list[Any]:
    """Every task run of one flow run, as stored."""
    from praefect.client.schemas import filters

    return client.read_task_runs(
        flow_run_filter=filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[flow_run_id]))
    )


def child_flow_runs_of(client: Any, flow_run_id: uuid.UUID) -> list[Any]:
    """The subflow runs whose parent is ``flow_run_id`` (through their wrapper task runs)."""
    wrapper_ids = [tr.id for tr in task_runs_of(client, flow_run_id)]
    from praefect.client.schemas import filters

    return client.read_flow_runs(
        flow_run_filter=filters.FlowRunFilter(
            parent_task_run_id=filters.FlowRunFilterParentTaskRunId(any_=wrapper_ids)
        )
    )


def logs_of(client: Any, flow_run_id: uuid.UUID) -> list[Any]:
    """Every log line stored against a flow run (its tasks' too), oldest first."""
    from praefect.client.schemas import filters

    return client.read_logs(
        log_filter=filters.LogFilter(flow_run_id=filters.LogFilterFlowRunId(any_=[flow_run_id]))
    )


def state_names(states: list[Any]) -> list[str]:
    return [s.name for s in states]
