"""Automations: create, read, filter, update, enable or disable, delete.

An automation is stored as Prefect's JSON (its ``trigger`` and ``actions``), validated by
``praefect.schemas.automations`` before it gets here. An action naming a deployment, work
pool, work queue or automation that does not exist is refused (``ValueError`` naming it: 422
over HTTP) and nothing is written. Every change tells the triggers (``automation_triggers``)
to reload, and drops the counts of the automation's open windows.

>>> from praefect import database
>>> from praefect.schemas.automations import AutomationCore
>>> engine = database.get_engine("sqlite:///:memory:")
>>> core = AutomationCore.model_validate(
...     {"name": "ping", "trigger": {"expect": ["acme.ping"]}, "actions": [{"type": "do-nothing"}]}
... )
>>> row = database.write(engine, lambda conn: create(conn, core))
>>> row["name"], row["enabled"], row["trigger"]["expect"]
('ping', True, ['acme.ping'])
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.orchestration import automation_triggers
from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.schemas.automations import AutomationCore, AutomationCriteria, AutomationQuery

__all__ = [
    "count",
    "create",
    "delete",
    "delete_owned_by",
    "read",
    "read_many",
    "related_to",
    "set_enabled",
    "update",
]

_auto = tables.automation
_related = tables.automation_related_resource

_SORTS = {
    "CREATED_DESC": (_auto.c.created.desc(), _auto.c.id),
    "UPDATED_DESC": (_auto.c.updated.desc(), _auto.c.id),
    "NAME_ASC": (_auto.c.name, _auto.c.id),
    "NAME_DESC": (_auto.c.name.desc(), _auto.c.id),
}

# (action field, table, resource kind, what to call it in an error)
_REFERENCES = (
    ("deployment_id", tables.deployment, "deployment", "deployment"),
    ("work_pool_id", tables.work_pool, "work-pool", "work pool"),
    ("work_queue_id", tables.work_queue, "work-queue", "work queue"),
    ("automation_id", tables.automation, "automation", "automation"),
)


def _values(automation: AutomationCore) -> dict[str, Any]:
    data = automation.model_dump(mode="json")
    return {
        "name": data["name"],
        "description": data["description"],
        "enabled": data["enabled"],
        "tags": data["tags"],
        "trigger": data["trigger"],
        "actions": data["actions"],
        "actions_on_trigger": data["actions_on_trigger"],
        "actions_on_resolve": data["actions_on_resolve"],
    }


def _check_references(conn: Connection, automation: AutomationCore) -> list[str]:
    """The resource ids the actions name; ``ValueError`` for one that does not exist."""
    resources: list[str] = []
    for action in automation.all_actions():
        for field, table, kind, noun in _REFERENCES:
            target = getattr(action, field, None)
            if target is None:
                continue
            found = conn.execute(sa.select(table.c.id).where(table.c.id == target)).first()
            if found is None:
                name = type(action).__name__
                raise ValueError(
                    f"Action {name} ({action.type}) names {noun} {target} ({field}), which does "
                    f"not exist; create the {noun} first or name an existing one."
                )
            resources.append(f"prefect.{kind}.{target}")
    return resources


def _relate(conn: Connection, automation_id: uuid.UUID, resources: Iterable[str | None]) -> None:
    conn.execute(_related.delete().where(_related.c.automation_id == automation_id))
    rows = [
        {"automation_id": automation_id, "resource_id": r} for r in dict.fromkeys(resources) if r
    ]
    if rows:
        conn.execute(_related.insert(), rows)


def create(
    conn: Connection, automation: AutomationCore, now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Store a new automation (enabled unless ``automation.enabled`` is False); return it as
    ``read`` does."""
    resources = _check_references(conn, automation)
    now = now or now_utc()
    automation_id = uuid.uuid4()
    conn.execute(
        _auto.insert().values(
            id=automation_id,
            created=now,
            updated=now,
            owner_resource=automation.owner_resource,
            **_values(automation),
        )
    )
    _relate(conn, automation_id, [automation.owner_resource, *resources])
    automation_triggers.forget(conn, automation_id)
    return read(conn, automation_id)  # type: ignore[return-value]


def read(conn: Connection, automation_id: uuid.UUID) -> dict[str, Any] | None:
    """The automation with this id, or None."""
    row = conn.execute(sa.select(_auto).where(_auto.c.id == automation_id)).mappings().first()
    return dict(row) if row is not None else None


def _where(criteria: AutomationCriteria | None) -> list[Any]:
    f = criteria.automations if criteria is not None else None
    if f is None:
        return []
    out: list[Any] = []
    if f.id is not None and f.id.any_ is not None:
        out.append(_auto.c.id.in_(f.id.any_))
    if f.name is not None and f.name.any_ is not None:
        out.append(_auto.c.name.in_(f.name.any_))
    if f.created is not None and f.created.before_ is not None:
        out.append(_auto.c.created <= f.created.before_)
    return out


def _tags_match(row: dict[str, Any], criteria: AutomationCriteria | None) -> bool:
    tags_filter = criteria.automations.tags if criteria and criteria.automations else None
    if tags_filter is None:
        return True
    tags = set(row["tags"] or [])
    if tags_filter.is_null_ is not None and (not tags) != tags_filter.is_null_:
        return False
    if tags_filter.all_ is not None and not set(tags_filter.all_) <= tags:
        return False
    return tags_filter.any_ is None or bool(tags & set(tags_filter.any_))


def read_many(conn: Connection, query: AutomationQuery | None = None) -> list[dict[str, Any]]:
    """The automations of ``query`` (every one by name, when None)."""
    sort = query.sort.value if query is not None else "NAME_ASC"
    statement = sa.select(_auto).where(*_where(query)).order_by(*_SORTS[sort])
    rows = [dict(r) for r in conn.execute(statement).mappings() if _tags_match(dict(r), query)]
    offset = query.offset if query is not None else 0
    limit = query.limit if query is not None else None
    return rows[offset : None if limit is None else offset + limit]


def count(conn: Connection, criteria: AutomationCriteria | None = None) -> int:
    """How many automations match ``criteria``."""
    if criteria is None or criteria.automations is None or criteria.automations.tags is None:
        statement = sa.select(sa.func.count()).select_from(_auto).where(*_where(criteria))
        return conn.execute(statement).scalar_one()
    return len(read_many(conn, None if criteria is None else _as_query(criteria)))


def _as_query(criteria: AutomationCriteria) -> AutomationQuery:
    from praefect.schemas.automations import AutomationQuery

    return AutomationQuery(automations=criteria.automations)


def update(
    conn: Connection,
    automation_id: uuid.UUID,
    automation: AutomationCore,
    now: _dt.datetime | None = None,
) -> bool:
    """Replace an automation (its owner stays); False when there is none. Its open windows
    start again."""
    resources = _check_references(conn, automation)
    existing = read(conn, automation_id)
    if existing is None:
        return False
    conn.execute(
        _auto.update()
        .where(_auto.c.id == automation_id)
        .values(updated=now or now_utc(), **_values(automation))
    )
    _relate(conn, automation_id, [existing["owner_resource"], *resources])
    automation_triggers.forget(conn, automation_id)
    return True


def set_enabled(
    conn: Connection, automation_id: uuid.UUID, enabled: bool, now: _dt.datetime | None = None
) -> bool:
    """Enable or disable an automation; False when there is none. A disabled automation
    counts nothing, and its windows start again when it is enabled."""
    result = conn.execute(
        _auto.update()
        .where(_auto.c.id == automation_id)
        .values(enabled=enabled, updated=now or now_utc())
    )
    automation_triggers.forget(conn, automation_id)
    return bool(result.rowcount)


def delete(conn: Connection, automation_id: uuid.UUID) -> bool:
    """Delete an automation with its windows and its actions not run yet; False when there
    was none."""
    result = conn.execute(_auto.delete().where(_auto.c.id == automation_id))
    if not result.rowcount:
        return False
    conn.execute(_related.delete().where(_related.c.automation_id == automation_id))
    runs = tables.automation_action_run
    conn.execute(
        runs.delete().where((runs.c.automation_id == automation_id) & (runs.c.status == "pending"))
    )
    automation_triggers.forget(conn, automation_id)
    return True


def related_to(conn: Connection, resource_id: str) -> list[dict[str, Any]]:
    """The automations that belong to ``resource_id`` or act on it, by name."""
    ids = sa.select(_related.c.automation_id).where(_related.c.resource_id == resource_id)
    statement = sa.select(_auto).where(_auto.c.id.in_(ids)).order_by(*_SORTS["NAME_ASC"])
    return [dict(row) for row in conn.execute(statement).mappings()]


def delete_owned_by(
    conn: Connection, resource_id: str, created_before: _dt.datetime | None = None
) -> int:
    """Delete the automations ``resource_id`` owns (made before ``created_before``, when
    given); return how many."""
    where = _auto.c.owner_resource == resource_id
    if created_before is not None:
        where = where & (_auto.c.created <= created_before)
    ids = list(conn.execute(sa.select(_auto.c.id).where(where)).scalars())
    for automation_id in ids:
        delete(conn, automation_id)
    return len(ids)
