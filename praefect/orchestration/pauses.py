"""Resuming paused flow runs, and failing those whose pause timed out.

``resume`` checks the input a paused run waits for against the JSON schema the run saved, moves
the run on through the state rules (Running for a pause, whose process is waiting; Scheduled
``Resuming`` for a suspension, which a worker then runs again) and saves the input where the
run reads it. ``fail_expired`` is the pause expiry service's one pass.

>>> from praefect import database
>>> from praefect.orchestration import flow_runs, flows
>>> from praefect.schemas.states import State
>>> from praefect.states import Paused
>>> engine = database.get_engine("sqlite:///:memory:")
>>> def demo(conn):
...     run_id = uuid.uuid4()
...     flow_runs.create(conn, {"id": run_id, "name": "r", "flow_id": flows.ensure(conn, "f")})
...     flow_runs.set_state(conn, run_id, State("RUNNING"))
...     flow_runs.set_state(conn, run_id, Paused(timeout_seconds=60, pause_key="1"))
...     return resume(conn, run_id).state.type.value
>>> database.write(engine, demo)
'RUNNING'
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import flow_run_inputs, flow_runs, rules
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State, StateType, now_utc

__all__ = ["RunInputInvalid", "fail_expired", "input_schema", "resume"]


class RunInputInvalid(ValueError):
    """The input given to resume a paused run does not fit the schema the run asked for."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors
        """One line per problem, each naming its field (``value: 'x' is not of type ...``)."""


def _not_paused(run: Mapping[str, Any]) -> exceptions.NotPausedError:
    state: State | None = run.get("state")
    name = state.name if state is not None else "without a state"
    kind = f" ({state.type.value})" if state is not None else ""
    return exceptions.NotPausedError(
        f"Flow run {run['name']!r} ({run['id']}) is {name}{kind}, not paused: only a paused "
        "run can be resumed.",
        state=state,
    )


def input_schema(conn: Connection, run: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of the input a paused run waits for, or None when it asks for none."""
    state: State | None = run.get("state")
    keyset = state.state_details.get("run_input_keyset") if state is not None else None
    if not keyset:
        return None
    saved = flow_run_inputs.read(conn, run["id"], keyset["schema"])
    if saved is None:
        return None
    schema: dict[str, Any] = json.loads(saved["value"])
    return schema


def resume(
    conn: Connection,
    flow_run_id: uuid.UUID,
    run_input: Mapping[str, Any] | None = None,
    now: _dt.datetime | None = None,
) -> OrchestrationResult:
    """Resume a paused flow run with ``run_input`` (checked against the schema the run saved).

    ``FlowRunNotFound``; ``NotPausedError`` (with the run's ``state``) when it is not paused;
    ``RunInputInvalid`` naming each bad field when the input does not fit (the run stays
    paused). A run whose pause timed out is Failed instead (the result's status is REJECT)."""
    run = flow_runs.read(conn, flow_run_id)
    if run is None:
        raise exceptions.FlowRunNotFound(
            f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
        )
    state: State | None = run["state"]
    if state is None or state.type is not StateType.PAUSED:
        raise _not_paused(run)
    keyset = state.state_details.get("run_input_keyset")
    given = dict(run_input or {})
    if keyset:
        schema = input_schema(conn, run)
        if schema is None:
            raise RunInputInvalid(
                f"Flow run {run['name']!r} waits for input but its input schema "
                f"({keyset['schema']!r}) is missing; it cannot be resumed with input.",
                [],
            )
        _check(run, schema, given)
    now = now or now_utc()
    if state.state_details.get("pause_reschedule"):
        proposed = State(
            StateType.SCHEDULED, name="Resuming", state_details={"scheduled_time": now}
        )
    else:
        proposed = State(StateType.RUNNING)
    result = flow_runs.set_state(conn, flow_run_id, proposed, now=now)
    if keyset and result.status.value == "ACCEPT":
        flow_run_inputs.create(conn, flow_run_id, keyset["response"], json.dumps(given))
    return result


def _check(run: Mapping[str, Any], schema: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    from praefect.utilities import parameter_schema  # jsonschema: only when input is checked

    errors = [
        line.replace("parameters: ", "run_input: ", 1)
        for line in parameter_schema.validation_errors(schema, given)
    ]
    if errors:
        raise RunInputInvalid(
            f"The input does not fit what flow run {run['name']!r} asks for, so it stays "
            f"paused: {'; '.join(errors)}.",
            errors,
        )


def fail_expired(conn: Connection, now: _dt.datetime | None = None, limit: int = 200) -> list[Any]:
    """Fail the paused flow runs whose pause timed out before ``now`` (a message says so);
    return their ids."""
    now = now or now_utc()
    run = tables.flow_run
    query = (
        sa.select(run.c.id)
        .where(run.c.state_type == StateType.PAUSED.value)
        .order_by(run.c.state_timestamp)
        .limit(limit)
    )
    failed = []
    for run_id in conn.execute(query).scalars().all():
        current = flow_runs.read(conn, run_id)
        state = current["state"] if current is not None else None
        if state is None or state.type is not StateType.PAUSED:
            continue
        expires = rules.pause_expiration_of(state)
        if expires is None or expires > now:
            continue
        message = rules.expired_pause_message(state, expires)
        result = flow_runs.set_state(
            conn, run_id, State(StateType.FAILED, message=message), now=now
        )
        if result.status.value == "ACCEPT":
            failed.append(run_id)
    return failed
