"""Actions: what a fired automation does, run from a queue with retries.

A firing queues one ``automation_action_run`` row per action, in the transaction of the event
that fired it, and emits ``prefect.automation.action.triggered``. ``run_due`` takes the due
rows (claimed, so two runners never run one action), renders the action's text fields as
sandboxed Jinja templates over the triggering event and the objects it names, and performs
it in a transaction of its own: ``prefect.automation.action.executed`` on success; on a
failure the action is tried again later (``MAX_ATTEMPTS`` in all), then
``prefect.automation.action.failed`` with the error. A template that fails, or an action on
an object that does not exist, fails at once: trying again would fail the same way.

Rows are queued by whatever process stores the event; ``wake`` starts (or wakes) a runner
thread in that process, and the server's ``AutomationActions`` service runs whatever is due
(retries, actions queued by a process that has exited since).
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from praefect import database, exceptions
from praefect.database import tables
from praefect.orchestration import automation_templates as _templates
from praefect.schemas.states import now_utc

__all__ = [
    "MAX_ATTEMPTS",
    "automation_event",
    "queue",
    "triggering",
    "read_runs",
    "run_due",
    "wake",
]

_log = logging.getLogger("praefect.automations")
_runs = tables.automation_action_run

MAX_ATTEMPTS = 3
"""How many times an action is tried before it has failed for good."""
_RETRY_DELAYS = (1.0, 5.0, 30.0)
_CLAIM = _dt.timedelta(seconds=60)


class _Permanent(Exception):
    """An action that cannot succeed by trying again (a bad template, a missing object)."""


# -- events ---------------------------------------------------------------------------------------
def automation_event(
    automation: Mapping[str, Any],
    name: str,
    payload: dict[str, Any],
    related: list[dict[str, str]],
    now: _dt.datetime,
) -> dict[str, Any]:
    """The event row ``name`` about an automation."""
    resource_id = f"prefect.automation.{automation['id']}"
    return {
        "id": uuid.uuid4(),
        "occurred": now,
        "event": name,
        "resource_id": resource_id,
        "resource": {
            "prefect.resource.id": resource_id,
            "prefect.resource.name": automation["name"],
        },
        "related": related,
        "payload": payload,
        "received": now,
        "follows": None,
    }


def triggering(event: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The related resource naming the event that fired an automation."""
    if not event:
        return []
    return [
        {
            "prefect.resource.id": f"prefect.event.{event['id']}",
            "prefect.resource.role": "triggering-event",
        }
    ]


def _action_event(
    automation: Mapping[str, Any],
    run: Mapping[str, Any],
    name: str,
    now: _dt.datetime,
    targets: list[str] = (),  # type: ignore[assignment]
    **extra: Any,
) -> dict[str, Any]:
    payload = {
        "action_index": run["action_index"],
        "action_type": run["action"].get("type"),
        "invocation": str(run["id"]),
        **extra,
    }
    related = triggering(run["event"]) + [
        {"prefect.resource.id": target, "prefect.resource.role": "target"} for target in targets
    ]
    return automation_event(automation, name, payload, related, now)


def _emit(conn: Connection, event: dict[str, Any]) -> None:
    from praefect.orchestration import events

    events.ingest(conn, [event], skip_existing=False)


# -- the queue ------------------------------------------------------------------------------------
def queue(
    conn: Connection,
    automation: Mapping[str, Any],
    firing_id: uuid.UUID,
    trigger_state: str,
    actions: list[dict[str, Any]],
    event: dict[str, Any] | None,
    now: _dt.datetime,
) -> list[dict[str, Any]]:
    """Queue the ``actions`` of one firing (due at once) and wake the runner; return the
    ``prefect.automation.action.triggered`` events for the caller to store."""
    if not actions:
        return []
    rows = [
        {
            "id": uuid.uuid4(),
            "created": now,
            "updated": now,
            "automation_id": automation["id"],
            "firing_id": firing_id,
            "trigger_state": trigger_state,
            "action_index": index,
            "action": action,
            "event": event,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "claimed_until": None,
            "error": None,
        }
        for index, action in enumerate(actions)
    ]
    conn.execute(_runs.insert(), rows)
    wake(conn.engine)
    return [
        _action_event(automation, row, "prefect.automation.action.triggered", now) for row in rows
    ]


def read_runs(conn: Connection, automation_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """The queued, done and failed actions (of one automation), oldest first."""
    statement = sa.select(_runs).order_by(_runs.c.created, _runs.c.action_index)
    if automation_id is not None:
        statement = statement.where(_runs.c.automation_id == automation_id)
    return [dict(row) for row in conn.execute(statement).mappings()]


def _claim(engine: Engine, now: _dt.datetime, limit: int) -> list[dict[str, Any]]:
    due = (
        (_runs.c.status == "pending")
        & (_runs.c.next_attempt_at <= now)
        & (sa.or_(_runs.c.claimed_until.is_(None), _runs.c.claimed_until < now))
    )
    # a read first: looking often for nothing must not take the (SQLite) write lock
    if (
        database.read(
            engine, lambda conn: conn.execute(sa.select(_runs.c.id).where(due).limit(1)).first()
        )
        is None
    ):
        return []

    def claim(conn: Connection) -> list[dict[str, Any]]:
        statement = sa.select(_runs).where(due).order_by(_runs.c.next_attempt_at).limit(limit)
        taken = []
        for row in conn.execute(statement).mappings().all():
            claimed = conn.execute(
                _runs.update()
                .where((_runs.c.id == row["id"]) & due)
                .values(claimed_until=now + _CLAIM)
            )
            if claimed.rowcount:
                taken.append(dict(row))
        return taken

    return database.write(engine, claim)


def run_due(engine: Engine, now: _dt.datetime | None = None, limit: int = 100) -> int:
    """Run the actions due at ``now``; return how many were tried."""
    now = now or now_utc()
    taken = _claim(engine, now, limit)
    for run in taken:
        _run_one(engine, run, now)
    return len(taken)


def _run_one(engine: Engine, run: dict[str, Any], now: _dt.datetime) -> None:
    try:
        database.write(engine, lambda conn: _perform(conn, run, now))
    except Exception as exc:
        permanent = isinstance(exc, _Permanent | exceptions.ObjectNotFound | ValueError)
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, _Permanent) else str(exc)
        database.write(engine, lambda conn: _failed(conn, run, error, permanent, now))


def _automation(conn: Connection, run: Mapping[str, Any]) -> dict[str, Any]:
    row = (
        conn.execute(
            sa.select(tables.automation).where(tables.automation.c.id == run["automation_id"])
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else {"id": run["automation_id"], "name": ""}


def _perform(conn: Connection, run: dict[str, Any], now: _dt.datetime) -> None:
    from praefect.orchestration import automation_effects
    from praefect.schemas.automation_actions import ActionAdapter

    automation = _automation(conn, run)
    try:
        context = _templates.context(conn, run["event"], automation)
        rendered = _templates.render_action(run["action"], context)
    except _templates.TemplateFailed as exc:
        raise _Permanent(str(exc)) from exc
    try:
        action = ActionAdapter.validate_python(rendered)
    except ValueError as exc:
        raise _Permanent(
            f"The action is not valid after its templates were rendered: {exc}"
        ) from exc
    outcome = automation_effects.perform(conn, action, run["event"], automation, now)
    conn.execute(
        _runs.update()
        .where(_runs.c.id == run["id"])
        .values(status="done", attempts=run["attempts"] + 1, updated=now, claimed_until=None)
    )
    _emit(conn, _action_event(automation, run, "prefect.automation.action.executed", now, outcome))


def _failed(
    conn: Connection, run: dict[str, Any], error: str, permanent: bool, now: _dt.datetime
) -> None:
    attempts = run["attempts"] + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        conn.execute(
            _runs.update()
            .where(_runs.c.id == run["id"])
            .values(
                status="failed", attempts=attempts, error=error, updated=now, claimed_until=None
            )
        )
        _log.warning("Automation action %s failed: %s", run["id"], error)
        failed = "prefect.automation.action.failed"
        _emit(conn, _action_event(_automation(conn, run), run, failed, now, reason=error))
        return
    delay = _RETRY_DELAYS[min(attempts - 1, len(_RETRY_DELAYS) - 1)]
    conn.execute(
        _runs.update()
        .where(_runs.c.id == run["id"])
        .values(
            attempts=attempts,
            error=error,
            updated=now,
            claimed_until=None,
            next_attempt_at=now + _dt.timedelta(seconds=delay),
        )
    )


# -- the runner thread ----------------------------------------------------------------------------
class _Runner:
    """Runs the due actions of one database in a daemon thread, woken by ``wake``. It waits
    for the retries it knows of (up to ``_HORIZON`` seconds ahead) and stops when none is
    left: later retries, and actions left by a process that exited, are the server's
    ``AutomationActions`` service's."""

    _HORIZON = 10.0
    _QUICK = (0.0, 0.001, 0.001, 0.002, 0.002, 0.004, 0.01, 0.02, 0.05, 0.1, 0.2)
    """The waker's transaction commits after it wakes us: look again soon, a few times."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.woken = threading.Event()
        self.thread: threading.Thread | None = None

    def poke(self) -> None:
        self.woken.set()
        with _lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="praefect-automation-actions", daemon=True
                )
                self.thread.start()

    def _loop(self) -> None:
        try:
            while True:
                if self.woken.is_set():
                    self.woken.clear()
                    for delay in self._QUICK:
                        time.sleep(delay)
                        if run_due(self.engine):
                            break
                else:
                    run_due(self.engine)
                wait = self._next_due()
                if wait is None and not self.woken.is_set():
                    return
                self.woken.wait(min(wait or 0.0, self._HORIZON))
        except Exception as exc:  # the database went away (a test's, a closed store)
            _log.warning("Stopped running automation actions here: %s", exc)

    def _next_due(self) -> float | None:
        """Seconds until the next pending action is due (within the horizon), or None."""

        def first(conn: Connection) -> Any:
            unclaimed = sa.or_(_runs.c.claimed_until.is_(None), _runs.c.claimed_until < now_utc())
            pending = sa.select(sa.func.min(_runs.c.next_attempt_at)).where(
                (_runs.c.status == "pending") & unclaimed
            )
            return conn.execute(pending).scalar()

        due = database.read(self.engine, first)
        if due is None:
            return None
        seconds = (due - now_utc()).total_seconds()
        return max(seconds, 0.01) if seconds < self._HORIZON else None


_runners: dict[int, _Runner] = {}
_lock = threading.Lock()


def wake(engine: Engine) -> None:
    """Run the due actions of this database soon, in a thread of this process."""
    runner = _runners.get(id(engine))
    if runner is None or runner.engine is not engine:
        with _lock:
            runner = _runners[id(engine)] = _Runner(engine)
    runner.poke()
