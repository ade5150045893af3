"""Deployments: a flow's code location and defaults, its schedules, and runs created from it.

A deployment is unique by (flow, name): ``create`` of an existing one updates it in place (its
id stays), as Prefect's API does. Reads return the deployment as a dict with its ``schedules``
(rows of ``deployment_schedule``, oldest first) under ``"schedules"``.

>>> from praefect import database
>>> from praefect.orchestration import flows
>>> engine = database.get_engine("sqlite:///:memory:")
>>> def demo(conn):
...     flow_id = flows.ensure(conn, "etl")
...     deployment = create(conn, {"name": "nightly", "flow_id": flow_id, "parameters": {"n": 1}})
...     run = create_flow_run(conn, deployment["id"], {"parameters": {"m": 2}})
...     return run["parameters"], run["state"].type.value
>>> database.write(engine, demo)
({'n': 1, 'm': 2}, 'SCHEDULED')
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.orchestration import flow_runs, work_pools
from praefect.schemas.states import State, StateType, now_utc
from praefect.utilities import names

if TYPE_CHECKING:
    from praefect.schemas.queries import DeploymentCriteria, DeploymentQuery
    from praefect.schemas.schedules import DeploymentScheduleCreate

__all__ = [
    "UPDATABLE_FIELDS",
    "count",
    "create",
    "create_flow_run",
    "create_schedules",
    "delete",
    "delete_matching",
    "delete_schedule",
    "id_of",
    "pause",
    "read",
    "read_by_name",
    "read_many",
    "read_schedules",
    "resume",
    "update",
    "update_schedule",
    "work_queues",
]

_dep = tables.deployment
_sched = tables.deployment_schedule
_run = tables.flow_run
_flow = tables.flow

UPDATABLE_FIELDS = frozenset(
    {
        "version",
        "description",
        "paused",
        "tags",
        "parameters",
        "parameter_openapi_schema",
        "enforce_parameter_schema",
        "job_variables",
        "entrypoint",
        "path",
        "pull_steps",
        "work_pool_name",
        "work_queue_name",
        "concurrency_limit",
    }
)
"""Columns ``update()`` (and ``create()`` of an existing deployment) may change; ``schedules``
may be given too, and replaces the deployment's schedules."""

_SCHEDULE_FIELDS = ("schedule", "active", "max_scheduled_runs", "parameters", "slug")
_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "parameters": {},
    "job_variables": {},
    "paused": False,
    "enforce_parameter_schema": True,
}


# -- deployments ---------------------------------------------------------------------------------
def create(conn: Connection, deployment: Mapping[str, Any]) -> dict[str, Any]:
    """Create a deployment, or update the one with the same flow and name (its id stays);
    return it as ``read`` does.

    ``deployment`` keys: ``name``, ``flow_id`` and any of ``UPDATABLE_FIELDS``, ``schedules`` (a
    list of mappings with ``schedule``, ``active``, ``parameters``, ``slug``,
    ``max_scheduled_runs``; given, they replace the existing ones), ``id``.
    A ``work_pool_name`` must name an existing work pool (``ObjectNotFound`` otherwise); the
    deployment's runs then go to its ``work_queue_name`` queue (created if missing), else to
    the pool's default queue.
    """
    name, flow_id = deployment["name"], deployment["flow_id"]
    if conn.execute(sa.select(_flow.c.id).where(_flow.c.id == flow_id)).first() is None:
        raise exceptions.FlowNotFound(f"Flow {flow_id} not found.", flow_id=flow_id)
    fields = {key: deployment[key] for key in UPDATABLE_FIELDS if key in deployment}
    existing = id_of(conn, flow_id, name)
    if existing is not None:
        update(conn, existing, {**fields, "schedules": deployment.get("schedules")})
        return read(conn, existing)  # type: ignore[return-value]
    now = now_utc()
    values = {**_DEFAULTS, **{k: v for k, v in fields.items() if v is not None}}
    values.update(
        id=_uuid(deployment.get("id")) or uuid.uuid4(),
        name=name,
        flow_id=flow_id,
        created=now,
        updated=now,
        work_queue_id=_work_queue_id(
            conn, values.get("work_pool_name"), values.get("work_queue_name")
        ),
    )
    if values.get("work_pool_name") and not values.get("work_queue_name"):
        values["work_queue_name"] = "default"
    conn.execute(_dep.insert().values(**values))
    create_schedules(conn, values["id"], deployment.get("schedules") or [])
    return read(conn, values["id"])  # type: ignore[return-value]


def id_of(conn: Connection, flow_id: uuid.UUID, name: str) -> uuid.UUID | None:
    """The id of the deployment ``name`` of the flow ``flow_id``, or None."""
    query = sa.select(_dep.c.id).where((_dep.c.flow_id == flow_id) & (_dep.c.name == name))
    return conn.execute(query).scalar()


def read(conn: Connection, deployment_id: uuid.UUID) -> dict[str, Any] | None:
    """The deployment with this id (with its ``schedules``), or None."""
    return _read_one(conn, _dep.c.id == deployment_id)


def read_by_name(conn: Connection, flow_name: str, name: str) -> dict[str, Any] | None:
    """The deployment ``name`` of the flow called ``flow_name``, or None."""
    flow_ids = sa.select(_flow.c.id).where(_flow.c.name == flow_name).scalar_subquery()
    return _read_one(conn, (_dep.c.flow_id == flow_ids) & (_dep.c.name == name))


def read_many(conn: Connection, query: DeploymentQuery | None = None) -> list[dict[str, Any]]:
    """The deployments of ``query``'s page (by name by default; a ``limit`` of None: all),
    each with its ``schedules``."""
    page = query or _filters.ALL
    statement = sa.select(_dep).where(*_filters.deployment_clauses(page))
    statement = statement.order_by(*_filters.deployment_order(page.sort))
    statement = statement.limit(page.limit).offset(page.offset or None)
    return _with_schedules(conn, [dict(row) for row in conn.execute(statement).mappings()])


def count(conn: Connection, criteria: DeploymentCriteria | None = None) -> int:
    """How many deployments match the criteria."""
    clauses = _filters.deployment_clauses(criteria or _filters.ALL)
    query = sa.select(sa.func.count()).select_from(_dep).where(*clauses)
    return conn.execute(query).scalar_one()


def update(conn: Connection, deployment_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
    """Change fields of a deployment (see ``UPDATABLE_FIELDS``; ``schedules``, when not None,
    replaces its schedules); False when there is no such deployment."""
    changes = dict(fields)
    schedules = changes.pop("schedules", None)
    unknown = changes.keys() - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(
            f"Cannot update deployment field(s) {sorted(unknown)}; "
            f"updatable fields are: {', '.join(sorted(UPDATABLE_FIELDS))}."
        )
    current = conn.execute(sa.select(_dep).where(_dep.c.id == deployment_id)).mappings().first()
    if current is None:
        return False
    for key, default in _DEFAULTS.items():
        if key in changes and changes[key] is None:
            changes[key] = default
    if "work_pool_name" in changes or "work_queue_name" in changes:
        pool = changes.get("work_pool_name", current["work_pool_name"])
        queue = changes.get("work_queue_name", current["work_queue_name"])
        if pool and not queue:
            queue = changes["work_queue_name"] = "default"
        changes["work_queue_id"] = _work_queue_id(conn, pool, queue)
    conn.execute(
        _dep.update().where(_dep.c.id == deployment_id).values(updated=now_utc(), **changes)
    )
    if schedules is not None:
        conn.execute(_sched.delete().where(_sched.c.deployment_id == deployment_id))
        create_schedules(conn, deployment_id, schedules)
    if schedules is not None or changes.get("paused"):
        _delete_auto_scheduled_runs(conn, deployment_id)
    return True


def delete(conn: Connection, deployment_id: uuid.UUID) -> bool:
    """Delete a deployment with its schedules and its auto-scheduled runs that have not
    started; its other runs keep their ``deployment_id``. False when there was none."""
    _delete_auto_scheduled_runs(conn, deployment_id)
    conn.execute(_sched.delete().where(_sched.c.deployment_id == deployment_id))
    return conn.execute(_dep.delete().where(_dep.c.id == deployment_id)).rowcount > 0


def delete_matching(conn: Connection, deployment_filter: Any, limit: int) -> list[uuid.UUID]:
    """Delete at most ``limit`` deployments matching ``deployment_filter`` (by name), as
    ``delete`` does; return their ids."""
    clauses = _filters.deployment_clauses(_filters.Criteria(deployments=deployment_filter))
    query = sa.select(_dep.c.id).where(*clauses).order_by(_dep.c.name, _dep.c.id).limit(limit)
    ids = list(conn.execute(query).scalars())
    for deployment_id in ids:
        delete(conn, deployment_id)
    return ids


def work_queues(conn: Connection, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
    """The work queues that pick up the deployment's runs: its queue, when it has one."""
    deployment = read(conn, deployment_id)
    if deployment is None or deployment["work_queue_id"] is None:
        return []
    queue = work_pools.read_queue_by_id(conn, deployment["work_queue_id"])
    return [queue] if queue is not None else []


def pause(conn: Connection, deployment_id: uuid.UUID) -> bool:
    """Pause a deployment (its schedules make no new runs, its future auto-scheduled runs
    are removed); False when there is no such deployment."""
    return update(conn, deployment_id, {"paused": True})


def resume(conn: Connection, deployment_id: uuid.UUID) -> bool:
    """Resume a paused deployment; False when there is no such deployment."""
    return update(conn, deployment_id, {"paused": False})


# -- schedules -----------------------------------------------------------------------------------
def read_schedules(conn: Connection, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
    """The schedules of a deployment, oldest first."""
    query = sa.select(_sched).where(_sched.c.deployment_id == deployment_id)
    rows = conn.execute(query.order_by(_sched.c.created, _sched.c.id)).mappings()
    return [dict(row) for row in rows]


def create_schedules(
    conn: Connection,
    deployment_id: uuid.UUID,
    schedules: Sequence[DeploymentScheduleCreate | Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Add schedules to a deployment (``ObjectNotFound`` if it does not exist; a ``slug``
    already used by one of its schedules is ``ObjectAlreadyExists``); return them."""
    if not schedules:
        return []
    if conn.execute(sa.select(_dep.c.id).where(_dep.c.id == deployment_id)).first() is None:
        raise _not_found(deployment_id)
    now = now_utc()
    rows = []
    for offset, given in enumerate(schedules):
        created = now + _dt.timedelta(microseconds=offset)  # keeps them in the order given
        schedule = _valid_schedule(given)
        row = {
            "id": _uuid(given.get("id") if isinstance(given, Mapping) else None) or uuid.uuid4(),
            "deployment_id": deployment_id,
            **schedule,
            "created": created,
            "updated": created,
        }
        rows.append(row)
    slugs = [row["slug"] for row in rows if row["slug"] is not None]
    taken = conn.execute(
        sa.select(_sched.c.slug).where(
            (_sched.c.deployment_id == deployment_id) & _sched.c.slug.in_(slugs)
        )
    ).scalars()
    duplicate = sorted(set(taken) | {s for s in slugs if slugs.count(s) > 1})
    if duplicate:
        raise exceptions.ObjectAlreadyExists(
            f"Deployment {deployment_id} already has a schedule with slug {duplicate[0]!r}."
        )
    conn.execute(_sched.insert(), rows)
    return rows


def update_schedule(
    conn: Connection,
    deployment_id: uuid.UUID,
    schedule_id: uuid.UUID,
    fields: Mapping[str, Any],
) -> bool:
    """Change a schedule of a deployment (``schedule``, ``active``, ``parameters``, ``slug``,
    ``max_scheduled_runs``); its future auto-scheduled runs are removed so the scheduler makes
    them anew. False when there is no such schedule."""
    changes = {k: v for k, v in fields.items() if k in _SCHEDULE_FIELDS}
    if "parameters" in changes and changes["parameters"] is None:
        changes["parameters"] = {}
    if changes.get("schedule") is not None:
        changes["schedule"] = _valid_schedule({"schedule": changes["schedule"]})["schedule"]
    where = (_sched.c.id == schedule_id) & (_sched.c.deployment_id == deployment_id)
    result = conn.execute(_sched.update().where(where).values(updated=now_utc(), **changes))
    if result.rowcount == 0:
        return False
    _delete_auto_scheduled_runs(conn, deployment_id)
    return True


def delete_schedule(conn: Connection, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
    """Delete a schedule of a deployment; False when there is no such schedule."""
    where = (_sched.c.id == schedule_id) & (_sched.c.deployment_id == deployment_id)
    if conn.execute(_sched.delete().where(where)).rowcount == 0:
        return False
    _delete_auto_scheduled_runs(conn, deployment_id)
    return True


# -- runs ----------------------------------------------------------------------------------------
def create_flow_run(
    conn: Connection,
    deployment_id: uuid.UUID,
    run: Mapping[str, Any],
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Create a run of a deployment and return it (as ``flow_runs.read`` does).

    ``run`` keys (all optional): ``name``, ``parameters`` (merged over the deployment's; checked
    against its ``parameter_openapi_schema`` when it enforces it: a bad one raises
    ``ValueError`` naming the parameter), ``state`` (default Scheduled now), ``tags`` (added to
    the deployment's), ``idempotency_key`` (a key already used for this deployment's flow gives
    back that run), ``work_queue_name``, ``job_variables`` (over the deployment's),
    ``parent_task_run_id``, ``empirical_policy``, ``enforce_parameter_schema`` (None: the
    deployment's setting), ``id``.
    """
    deployment = conn.execute(sa.select(_dep).where(_dep.c.id == deployment_id)).mappings().first()
    if deployment is None:
        raise _not_found(deployment_id)
    key = run.get("idempotency_key")
    if key is not None:
        existing = _run_by_key(conn, deployment["flow_id"], key)
        if existing is not None:
            return existing
    parameters = {**(deployment["parameters"] or {}), **(run.get("parameters") or {})}
    enforce = run.get("enforce_parameter_schema")
    if enforce if enforce is not None else deployment["enforce_parameter_schema"]:
        from praefect.utilities import parameter_schema  # jsonschema: only for deployment runs

        problems = parameter_schema.validation_errors(
            deployment["parameter_openapi_schema"], parameters
        )
        if problems:
            raise ValueError(
                f"Invalid parameters for deployment {deployment['name']!r}: {'; '.join(problems)}."
            )
    queue_name = run.get("work_queue_name") or deployment["work_queue_name"]
    queue_id = deployment["work_queue_id"]
    if run.get("work_queue_name") and run["work_queue_name"] != deployment["work_queue_name"]:
        queue_id = _work_queue_id(conn, deployment["work_pool_name"], queue_name)
    tags = list(dict.fromkeys([*(deployment["tags"] or []), *(run.get("tags") or [])]))
    state = run.get("state") or State(StateType.SCHEDULED, timestamp=now or now_utc())
    run_id = _uuid(run.get("id")) or uuid.uuid4()
    row = {
        "id": run_id,
        "name": run.get("name") or names.generate_slug(),
        "flow_id": deployment["flow_id"],
        "deployment_id": deployment_id,
        "deployment_version": deployment["version"],
        "parameters": parameters,
        "tags": tags,
        "idempotency_key": key,
        "work_queue_name": queue_name,
        "work_queue_id": queue_id,
        "job_variables": {
            **(deployment["job_variables"] or {}),
            **(run.get("job_variables") or {}),
        },
        "parent_task_run_id": run.get("parent_task_run_id"),
        "empirical_policy": run.get("empirical_policy") or {},
        "entrypoint": deployment["entrypoint"],
        "state": state,
    }
    if key is None:
        return flow_runs.create_run(conn, row)
    try:
        with conn.begin_nested():  # a concurrent twin with the same key wins: return it
            return flow_runs.create_run(conn, row)
    except IntegrityError:
        existing = _run_by_key(conn, deployment["flow_id"], key)
        if existing is None:
            raise
        return existing


# -- helpers -------------------------------------------------------------------------------------
def _valid_schedule(schedule: Any) -> dict[str, Any]:
    """A schedule to store (JSON-safe), from a ``DeploymentScheduleCreate`` or its fields;
    a bad one raises pydantic's ``ValidationError`` (a ``ValueError``) naming the field."""
    from praefect.schemas import schedules as _schedules  # pydantic: only when schedules change

    if not isinstance(schedule, _schedules.DeploymentScheduleCreate):
        values = schedule if isinstance(schedule, Mapping) else _as_mapping(schedule)
        schedule = _schedules.DeploymentScheduleCreate.model_validate(
            {k: v for k, v in values.items() if k in _SCHEDULE_FIELDS and v is not None}
        )
    return schedule.model_dump(mode="json")


def _as_mapping(value: Any) -> Mapping[str, Any]:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return {k: getattr(value, k) for k in value.model_fields_set | {"schedule"}}
    return dict(value)


def _not_found(deployment_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(
        f"Deployment {deployment_id} not found.", deployment_id=deployment_id
    )


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _run_by_key(conn: Connection, flow_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    query = sa.select(_run.c.id).where(
        (_run.c.flow_id == flow_id) & (_run.c.idempotency_key == key)
    )
    run_id = conn.execute(query).scalar()
    return flow_runs.read(conn, run_id) if run_id is not None else None


def _work_queue_id(conn: Connection, pool_name: str | None, queue_name: str | None) -> Any:
    """The id of queue ``queue_name`` (default: the pool's default queue) of the work pool
    ``pool_name``, the queue created if missing; None without a pool."""
    if not pool_name:
        return None
    try:
        return work_pools.ensure_queue(conn, pool_name, queue_name or None)["id"]
    except exceptions.ObjectNotFound:
        raise exceptions.ObjectNotFound(
            f"Work pool {pool_name!r} not found: create it first, e.g. "
            f"`praefect work-pool create {pool_name} --type process`.",
            work_pool_name=pool_name,
        ) from None


def _delete_auto_scheduled_runs(conn: Connection, deployment_id: uuid.UUID) -> None:
    """Remove the deployment's auto-scheduled runs that have not started yet (the scheduler
    makes them anew from the current schedules)."""
    flow_runs.delete_where(
        conn,
        (_run.c.deployment_id == deployment_id)
        & (_run.c.auto_scheduled == sa.true())
        & (_run.c.state_type == StateType.SCHEDULED.value),
    )


def _read_one(conn: Connection, where: Any) -> dict[str, Any] | None:
    row = conn.execute(sa.select(_dep).where(where)).mappings().first()
    if row is None:
        return None
    return _with_schedules(conn, [dict(row)])[0]


def _with_schedules(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id: dict[uuid.UUID, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        query = sa.select(_sched).where(_sched.c.deployment_id.in_(ids[start : start + 500]))
        for schedule in conn.execute(query.order_by(_sched.c.created, _sched.c.id)).mappings():
            by_id[schedule["deployment_id"]].append(dict(schedule))
    for row in rows:
        row["schedules"] = by_id[row["id"]]
    return rows
