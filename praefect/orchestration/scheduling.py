"""The scheduler and the late-runs check: what the server's scheduling services do each pass.

``schedule_runs`` keeps the next runs of every active schedule of every unpaused deployment
inserted as Scheduled flow runs: at least ``min_runs`` of them and all those within
``min_time``, at most ``max_runs`` (or the schedule's ``max_scheduled_runs``) and none past
``end_time``. Each run's idempotency key is ``"scheduled {deployment id} {schedule id} {time}"``
and ``flow_run`` is unique by (flow, idempotency key), so inserting is idempotent: a second pass,
a restart or a second scheduler replica racing this one never creates a duplicate.

After downtime, the *catch-up policy* decides what happens to the times the scheduler missed
(those in the last ``catch_up_window`` before now that have no run, and that are after the
schedule and its deployment were last changed):

- ``"latest"`` (the default): create the most recent missed run only, so a daily job that was
  due while the server was down runs once, late, rather than never;
- ``"all"``: create every missed run in the window;
- ``"none"``: create none (Prefect's behaviour: the scheduler only looks forward).

``mark_late_runs`` moves Scheduled runs that are ``after`` past their time to Late, through the
state rules (only a Scheduled run that is not already Late can become Late).

Both take ``now`` (default: ``praefect.utilities.clock.now()``), so tests drive them without
sleeping.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> database.write(engine, lambda conn: schedule_runs(conn))  # no deployments yet
[]
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect import settings as _settings
from praefect.database import tables
from praefect.orchestration import flow_runs, scheduled_runs
from praefect.schemas.states import State, StateType
from praefect.utilities import clock, names

__all__ = [
    "AUTO_SCHEDULED_TAG",
    "CATCH_UP_POLICIES",
    "cancel_stale_runs",
    "idempotency_key",
    "mark_late_runs",
    "schedule_runs",
]

AUTO_SCHEDULED_TAG = "auto-scheduled"
"""The tag of every run the scheduler creates (as in Prefect)."""
CATCH_UP_POLICIES = ("all", "latest", "none")
"""The values of ``catch_up`` / ``PRAEFECT_SERVER_SERVICES_SCHEDULER_CATCH_UP``."""

_log = logging.getLogger("praefect.server.services.scheduler")
_deployment = tables.deployment
_schedule = tables.deployment_schedule
_run = tables.flow_run
_KEY_CHUNK = 200
_MAX_MISSED = 1000  # schedules.MAX_ITERATIONS: get_dates gives no more


def idempotency_key(deployment_id: uuid.UUID, schedule_id: uuid.UUID, when: _dt.datetime) -> str:
    """The idempotency key of the run a schedule creates for the time ``when`` (any zone: the
    key holds the instant in UTC, so one time has one key).

    >>> idempotency_key(uuid.UUID(int=1), uuid.UUID(int=2), _dt.datetime(2030, 1, 1, tzinfo=_dt.UTC))
    'scheduled 00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 2030-01-01T00:00:00+00:00'
    """
    return f"scheduled {deployment_id} {schedule_id} {when.astimezone(_dt.UTC).isoformat()}"


def _seconds(value: float | _dt.timedelta) -> _dt.timedelta:
    return value if isinstance(value, _dt.timedelta) else _dt.timedelta(seconds=value)


def schedule_runs(
    conn: Connection,
    deployment_id: uuid.UUID | None = None,
    *,
    now: _dt.datetime | None = None,
    start_time: _dt.datetime | None = None,
    end_time: _dt.datetime | None = None,
    min_time: float | _dt.timedelta | None = None,
    min_runs: int | None = None,
    max_runs: int | None = None,
    catch_up: str | None = None,
    catch_up_window: float | _dt.timedelta | None = None,
    updated_since: _dt.datetime | None = None,
) -> list[uuid.UUID]:
    """Insert the Scheduled runs that the active schedules of unpaused deployments (or of
    deployment ``deployment_id`` only) are due to have; return the ids of the runs created.

    ``start_time`` (default ``now``) is the earliest time scheduled; ``end_time`` the latest
    (default: ``start_time`` + ``PRAEFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME``).
    ``min_time``, ``min_runs``, ``max_runs``, ``catch_up`` and ``catch_up_window`` default to
    the ``PRAEFECT_SERVER_SERVICES_SCHEDULER_*`` settings. ``updated_since`` limits the pass to
    deployments or schedules changed since then (the quick pass after a deploy).
    """
    current = _settings.get_current_settings()
    now = now or clock.now()
    start_time = start_time or now
    if end_time is None:
        end_time = start_time + _seconds(current.server_services_scheduler_max_scheduled_time)
    min_time = _seconds(
        current.server_services_scheduler_min_scheduled_time if min_time is None else min_time
    )
    min_runs = current.server_services_scheduler_min_runs if min_runs is None else min_runs
    max_runs = current.server_services_scheduler_max_runs if max_runs is None else max_runs
    catch_up = current.server_services_scheduler_catch_up if catch_up is None else catch_up
    if catch_up not in CATCH_UP_POLICIES:
        raise ValueError(
            f"unknown catch-up policy {catch_up!r}; expected one of {', '.join(CATCH_UP_POLICIES)}"
        )
    window = _seconds(
        current.server_services_scheduler_catch_up_window_seconds
        if catch_up_window is None
        else catch_up_window
    )
    for name, value in (("min_runs", min_runs), ("max_runs", max_runs)):
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, got {value}")

    if deployment_id is not None:
        found = conn.execute(sa.select(_deployment.c.id).where(_deployment.c.id == deployment_id))
        if found.first() is None:
            raise exceptions.ObjectNotFound(
                f"Deployment {deployment_id} not found.", deployment_id=deployment_id
            )
    from pydantic import ValidationError

    created: list[uuid.UUID] = []
    for row in _active_schedules(conn, deployment_id, updated_since):
        try:
            schedule = _schedule_adapter().validate_python(row["schedule"])
        except ValidationError as error:
            _log.error(
                "Schedule %s of deployment %s is not a valid schedule; skipped: %s",
                row["schedule_id"],
                row["deployment_id"],
                error,
            )
            continue
        limit = row["max_scheduled_runs"] or max_runs
        dates = _future_dates(schedule, start_time, end_time, min_time, min_runs, limit)
        if catch_up != "none":
            changed = max(row["schedule_updated"], row["deployment_updated"])
            dates = _missed_dates(schedule, now, max(now - window, changed), catch_up) + dates
        created.extend(_insert_runs(conn, row, dates, now))
    return created


@functools.cache
def _schedule_adapter() -> Any:
    # pydantic and the schedule models load on the first schedule, not with the package: the
    # flow path imports orchestration and must stay free of pydantic, and a server with no
    # schedules never needs them
    from pydantic import TypeAdapter

    from praefect.schemas import schedules

    return TypeAdapter(schedules.SCHEDULE_TYPES)


def _active_schedules(
    conn: Connection, deployment_id: uuid.UUID | None, updated_since: _dt.datetime | None
) -> list[sa.RowMapping]:
    query = (
        sa.select(
            _schedule.c.id.label("schedule_id"),
            _schedule.c.schedule,
            _schedule.c.parameters.label("schedule_parameters"),
            _schedule.c.max_scheduled_runs,
            _schedule.c.updated.label("schedule_updated"),
            _deployment.c.id.label("deployment_id"),
            _deployment.c.flow_id,
            _deployment.c.version,
            _deployment.c.parameters,
            _deployment.c.tags,
            _deployment.c.work_queue_name,
            _deployment.c.work_queue_id,
            _deployment.c.entrypoint,
            _deployment.c.updated.label("deployment_updated"),
        )
        .select_from(_schedule.join(_deployment, _deployment.c.id == _schedule.c.deployment_id))
        .where(_schedule.c.active.is_(True), _deployment.c.paused.is_(False))
        .order_by(_deployment.c.id, _schedule.c.created, _schedule.c.id)
    )
    if deployment_id is not None:
        query = query.where(_deployment.c.id == deployment_id)
    if updated_since is not None:
        query = query.where(
            sa.or_(_deployment.c.updated >= updated_since, _schedule.c.updated >= updated_since)
        )
    return list(conn.execute(query).mappings())


def _future_dates(
    schedule: Any,
    start: _dt.datetime,
    end: _dt.datetime,
    min_time: _dt.timedelta,
    min_runs: int,
    max_runs: int,
) -> list[_dt.datetime]:
    chosen: list[_dt.datetime] = []
    for date in schedule.get_dates(max_runs, start=start, end=end):
        # enough runs (min_runs) covering enough time (min_time): the rest waits for a later pass
        if len(chosen) >= min_runs and date.astimezone(_dt.UTC) > start + min_time:
            break
        chosen.append(date)
    return chosen


def _missed_dates(
    schedule: Any, now: _dt.datetime, since: _dt.datetime, catch_up: str
) -> list[_dt.datetime]:
    if since >= now:
        return []
    missed = schedule.get_dates(_MAX_MISSED, start=since, end=now - _dt.timedelta(microseconds=1))
    return missed[-1:] if catch_up == "latest" else missed


def _insert_runs(
    conn: Connection, row: sa.RowMapping, dates: Iterable[_dt.datetime], now: _dt.datetime
) -> list[uuid.UUID]:
    keyed = {idempotency_key(row["deployment_id"], row["schedule_id"], d): d for d in dates}
    if not keyed:
        return []
    existing: set[str] = set()
    keys = list(keyed)
    for start in range(0, len(keys), _KEY_CHUNK):
        query = sa.select(_run.c.idempotency_key).where(
            _run.c.flow_id == row["flow_id"],
            _run.c.idempotency_key.in_(keys[start : start + _KEY_CHUNK]),
        )
        existing.update(conn.execute(query).scalars())
    parameters = {**(row["parameters"] or {}), **(row["schedule_parameters"] or {})}
    tags = [AUTO_SCHEDULED_TAG, *(t for t in row["tags"] or () if t != AUTO_SCHEDULED_TAG)]
    created = []
    for key, date in keyed.items():
        if key in existing:
            continue
        when = date.astimezone(_dt.UTC)
        state = State(
            StateType.SCHEDULED,
            message="Flow run scheduled",
            state_details={"scheduled_time": when},
            timestamp=now,
        )
        run = flow_runs.create_run(
            conn,
            {
                "id": uuid.uuid4(),
                "name": names.generate_slug(),
                "flow_id": row["flow_id"],
                "deployment_id": row["deployment_id"],
                "deployment_version": row["version"],
                "work_queue_name": row["work_queue_name"],
                "work_queue_id": row["work_queue_id"],
                "entrypoint": row["entrypoint"],
                "parameters": parameters,
                "tags": tags,
                "idempotency_key": key,
                "auto_scheduled": True,
                "state": state,
            },
            if_absent=True,  # another scheduler may have inserted it since the SELECT above
        )
        if run is not None:
            created.append(run["id"])
    return created


def mark_late_runs(
    conn: Connection,
    now: _dt.datetime | None = None,
    after_seconds: float | None = None,
    limit: int = 500,
) -> list[uuid.UUID]:
    """Move to Late the Scheduled runs whose scheduled time is more than ``after_seconds``
    (default: ``PRAEFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS``) before ``now``; at most
    ``limit`` a call. Return the ids of the runs marked. Each Late state's message says why
    the run waits (``scheduled_runs.why_waiting``).

    Each change goes through the state rules; on PostgreSQL the runs are locked ``FOR UPDATE
    SKIP LOCKED``, so two replicas marking at once take different runs."""
    now = now or clock.now()
    if after_seconds is None:
        after_seconds = _settings.get_current_settings().server_services_late_runs_after_seconds
    cutoff = now - _dt.timedelta(seconds=after_seconds)
    query = (
        sa.select(_run.c.id, _run.c.next_scheduled_start_time)
        .where(
            _run.c.state_type == StateType.SCHEDULED.value,
            _run.c.state_name == "Scheduled",
            _run.c.next_scheduled_start_time <= cutoff,
        )
        .order_by(_run.c.next_scheduled_start_time)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    marked = []
    for run_id, scheduled_time in conn.execute(query).all():
        late = State(
            StateType.SCHEDULED,
            name="Late",
            message=scheduled_runs.why_waiting(conn, run_id, now),
            state_details={"scheduled_time": scheduled_time},
            timestamp=now,
        )
        result = flow_runs.set_state(conn, run_id, late, now=now)
        if result.status.value == "ACCEPT":
            marked.append(run_id)
    return marked


def cancel_stale_runs(
    conn: Connection,
    max_lateness_seconds: float,
    now: _dt.datetime | None = None,
    limit: int = 500,
) -> list[uuid.UUID]:
    """Cancel the Scheduled and Late runs still waiting more than ``max_lateness_seconds``
    after their scheduled time (a run retried later, AwaitingRetry, is not one), each with a
    message saying how late it was and why it waited (``scheduled_runs.why_waiting``); at
    most ``limit`` a call. Return the ids of the runs cancelled."""
    now = now or clock.now()
    cutoff = now - _dt.timedelta(seconds=max_lateness_seconds)
    query = (
        sa.select(_run.c.id, _run.c.next_scheduled_start_time)
        .where(
            _run.c.state_type == StateType.SCHEDULED.value,
            _run.c.state_name.in_(("Scheduled", "Late")),
            _run.c.next_scheduled_start_time <= cutoff,
        )
        .order_by(_run.c.next_scheduled_start_time)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    cancelled = []
    for run_id, scheduled_time in conn.execute(query).all():
        if scheduled_time.tzinfo is None:
            scheduled_time = scheduled_time.replace(tzinfo=_dt.UTC)
        late = (now - scheduled_time).total_seconds()
        state = State(
            StateType.CANCELLED,
            message=(
                f"Cancelled: {late:.0f} s past its scheduled time, more than the maximum "
                f"lateness of {max_lateness_seconds:g} s. "
                + scheduled_runs.why_waiting(conn, run_id, now)
            ),
            timestamp=now,
        )
        result = flow_runs.set_state(conn, run_id, state, now=now)
        if result.status.value == "ACCEPT":
            cancelled.append(run_id)
    return cancelled
