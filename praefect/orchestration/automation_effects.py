"""What each action does, on the service layer (``perform``): run, pause or resume a
deployment; cancel, suspend, resume, delete or move a flow run; pause or resume a work pool,
a work queue or an automation. ``CallWebhook``, ``SendNotification`` and ``DeclareIncident``
are not supported yet: they fail with a message saying so.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.orchestration import automation_templates as _templates
from praefect.schemas.states import State, StateType, now_utc

__all__ = ["perform"]


def _target(action: Any, field: str, kind: str, event: Mapping[str, Any] | None) -> uuid.UUID:
    chosen = getattr(action, field, None)
    if getattr(action, "source", "selected") == "selected" and chosen is not None:
        return uuid.UUID(str(chosen))
    found = _templates.named(event, kind)
    if found is None:
        raise exceptions.ObjectNotFound(
            f"Action {action.type} has no {kind} to act on: the triggering event names none "
            f"(looked for a resource 'prefect.{kind}.<id>')."
        )
    return found


def _flow_run(action: Any, event: Mapping[str, Any] | None) -> uuid.UUID:
    found = _templates.named(event, "flow-run")
    if found is None:
        raise exceptions.ObjectNotFound(
            f"Action {action.type} has no flow run to act on: the triggering event names none."
        )
    return found


def _missing(noun: str, object_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"{noun} {object_id} not found.", id=object_id)


def _set_state(conn: Connection, run_id: uuid.UUID, state: State, force: bool = False) -> None:
    from praefect.orchestration import flow_runs

    result = flow_runs.set_state(conn, run_id, state, force)
    if result.status.value != "ACCEPT":
        reason = getattr(result.details, "reason", None) or result.status.value
        raise ValueError(f"Flow run {run_id} refused the state {state.name}: {reason}")


def perform(
    conn: Connection,
    action: Any,
    event: Mapping[str, Any] | None,
    automation: Mapping[str, Any],
    now: _dt.datetime,
) -> list[str]:
    """Do ``action``; return the resource ids it acted on."""
    from praefect.orchestration import automations, deployments, flow_runs, work_pools

    kind = action.type
    if kind == "do-nothing":
        return []
    if kind == "run-deployment":
        deployment_id = _target(action, "deployment_id", "deployment", event)
        scheduled = now + action.schedule_after
        run = deployments.create_flow_run(
            conn,
            deployment_id,
            {
                "parameters": action.parameters,
                "job_variables": action.job_variables,
                "state": State(
                    StateType.SCHEDULED,
                    state_details={"scheduled_time": scheduled},
                    timestamp=now,
                ),
                "tags": ["automation"],
            },
            now=now,
        )
        return [f"prefect.flow-run.{run['id']}", f"prefect.deployment.{deployment_id}"]
    if kind in ("pause-deployment", "resume-deployment"):
        deployment_id = _target(action, "deployment_id", "deployment", event)
        change = deployments.pause if kind == "pause-deployment" else deployments.resume
        if not change(conn, deployment_id):
            raise _missing("Deployment", deployment_id)
        return [f"prefect.deployment.{deployment_id}"]
    if kind in ("pause-work-pool", "resume-work-pool"):
        pool_id = _target(action, "work_pool_id", "work-pool", event)
        pool = work_pools.read_pool_by_id(conn, pool_id)
        if pool is None:
            raise _missing("Work pool", pool_id)
        work_pools.update_pool(conn, pool["name"], {"is_paused": kind == "pause-work-pool"})
        return [f"prefect.work-pool.{pool_id}"]
    if kind in ("pause-work-queue", "resume-work-queue"):
        queue_id = _target(action, "work_queue_id", "work-queue", event)
        if not work_pools.update_queue(conn, queue_id, {"is_paused": kind == "pause-work-queue"}):
            raise _missing("Work queue", queue_id)
        return [f"prefect.work-queue.{queue_id}"]
    if kind in ("pause-automation", "resume-automation"):
        target = getattr(action, "automation_id", None)
        automation_id = uuid.UUID(str(target)) if target else automation["id"]
        if action.source == "inferred":
            automation_id = _templates.named(event, "automation") or automation["id"]
        if not automations.set_enabled(conn, automation_id, kind == "resume-automation", now):
            raise _missing("Automation", automation_id)
        return [f"prefect.automation.{automation_id}"]
    if kind in _FLOW_RUN_ACTIONS:
        run_id = _flow_run(action, event)
        if kind == "delete-flow-run":
            if not flow_runs.delete(conn, run_id):
                raise _missing("Flow run", run_id)
        else:
            _set_state(conn, run_id, *_FLOW_RUN_ACTIONS[kind](conn, action, run_id))
        return [f"prefect.flow-run.{run_id}"]
    raise ValueError(
        f"Action {kind!r} is not supported by praefect yet (webhooks, notifications and "
        "incidents come later); use another action."
    )


def _cancel(conn: Connection, action: Any, run_id: uuid.UUID) -> tuple[State, bool]:
    return State(StateType.CANCELLING, message="Cancelled by an automation"), False


def _suspend(conn: Connection, action: Any, run_id: uuid.UUID) -> tuple[State, bool]:
    details = {"pause_reschedule": True, "pause_timeout": None, "pause_key": "automation"}
    return State(StateType.PAUSED, "Suspended", state_details=details), False


def _resume(conn: Connection, action: Any, run_id: uuid.UUID) -> tuple[State, bool]:
    from praefect.orchestration import flow_runs

    run = flow_runs.read(conn, run_id)
    if run is None:
        raise _missing("Flow run", run_id)
    state = run.get("state")
    if state is None or state.type is not StateType.PAUSED:
        raise ValueError(f"Flow run {run_id} is not paused, so it cannot be resumed.")
    if state.state_details.get("pause_reschedule"):
        return State(StateType.SCHEDULED, state_details={"scheduled_time": now_utc()}), False
    return State(StateType.RUNNING), False


def _change(conn: Connection, action: Any, run_id: uuid.UUID) -> tuple[State, bool]:
    return State(action.state, action.name, action.message), action.force


_FLOW_RUN_ACTIONS = {
    "cancel-flow-run": _cancel,
    "suspend-flow-run": _suspend,
    "resume-flow-run": _resume,
    "change-flow-run-state": _change,
    "delete-flow-run": _change,
}
