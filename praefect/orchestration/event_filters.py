"""The WHERE clauses of Prefect's ``EventFilter`` over the ``event`` table.

Related resources live in the ``related`` JSON array: a related criterion is an EXISTS over
its elements (``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL), so a role and
an id match the same element. Label specifications (``labels``) and ``text`` are not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from praefect.database import tables
from praefect.orchestration import filters as _filters

if TYPE_CHECKING:
    from praefect.schemas.events import (
        EventAnyResourceFilter,
        EventFilter,
        EventRelatedFilter,
    )

__all__ = ["clauses"]

_event = tables.event
_ID = "prefect.resource.id"
_ROLE = "prefect.resource.role"


def _starts(column: Any, prefixes: Sequence[str]) -> ColumnElement[bool]:
    return sa.or_(sa.false(), *(column.startswith(p, autoescape=True) for p in prefixes))


def _label(dialect: str, value: Any, label: str) -> Any:
    if dialect == "postgresql":
        return value.op("->>")(label)
    return sa.func.json_extract(value, f'$."{label}"')


def _related_exists(
    dialect: str, ids: Sequence[str] | None, prefixes: Sequence[str] | None, roles: Any
) -> ColumnElement[bool]:
    """An element of ``related`` with one of ``ids`` (or ``prefixes``) and, when given, one of
    ``roles`` (or each of ``roles``' ``(id, role)`` pairs)."""
    function = "jsonb_array_elements" if dialect == "postgresql" else "json_each"
    elements = getattr(sa.func, function)(_event.c.related).table_valued("value").alias("r")
    value = elements.c.value
    wanted: list[ColumnElement[bool]] = []
    if ids is not None:
        wanted.append(_filters.in_values(_label(dialect, value, _ID), ids))
    if prefixes is not None:
        wanted.append(_starts(_label(dialect, value, _ID), prefixes))
    if roles is not None:
        wanted.append(_filters.in_values(_label(dialect, value, _ROLE), roles))
    return sa.exists(sa.select(sa.literal(1)).select_from(elements).where(*wanted))


def _related(dialect: str, f: EventRelatedFilter) -> list[ColumnElement[bool]]:
    out = []
    if f.id is not None or f.role is not None:
        out.append(_related_exists(dialect, f.id, None, f.role))
    for resource_id, role in f.resources_in_roles or ():
        out.append(_related_exists(dialect, [resource_id], None, [role]))
    return out


def _any_resource(dialect: str, f: EventAnyResourceFilter) -> list[ColumnElement[bool]]:
    c = _event.c
    out = []
    if f.id is not None:
        about = _filters.in_values(c.resource_id, f.id)
        out.append(sa.or_(about, _related_exists(dialect, f.id, None, None)))
    if f.id_prefix is not None:
        about = _starts(c.resource_id, f.id_prefix)
        out.append(sa.or_(about, _related_exists(dialect, None, f.id_prefix, None)))
    return out


def clauses(dialect: str, f: EventFilter) -> list[ColumnElement[bool]]:
    """The conditions an event must meet to match ``f`` on a ``dialect`` database."""
    c = _event.c
    out: list[ColumnElement[bool]] = []
    if f.occurred.since is not None:
        out.append(c.occurred >= f.occurred.since)
    if f.occurred.until is not None:
        out.append(c.occurred <= f.occurred.until)
    if f.event is not None:
        if f.event.name is not None:
            out.append(_filters.in_values(c.event, f.event.name))
        if f.event.prefix is not None:
            out.append(_starts(c.event, f.event.prefix))
        if f.event.exclude_name:
            out.append(_filters.in_values(c.event, f.event.exclude_name, negate=True))
        for prefix in f.event.exclude_prefix or ():
            out.append(sa.not_(c.event.startswith(prefix, autoescape=True)))
    if f.resource is not None:
        if f.resource.id is not None:
            out.append(_filters.in_values(c.resource_id, f.resource.id))
        if f.resource.id_prefix is not None:
            out.append(_starts(c.resource_id, f.resource.id_prefix))
    related = f.related if isinstance(f.related, list) else [f.related] if f.related else []
    for one in related:
        out.extend(_related(dialect, one))
    anys = f.any_resource
    for one_any in anys if isinstance(anys, list) else [anys] if anys else []:
        out.extend(_any_resource(dialect, one_any))
    if f.id.id is not None:
        out.append(_filters.in_values(c.id, f.id.id))
    return out
