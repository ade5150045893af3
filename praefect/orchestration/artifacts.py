"""Artifacts: what runs publish (markdown, tables, links, images, progress), and their versions.

Every artifact is a row. The rows of one ``key`` are its versions; the newest (by ``created``,
then ``id``) is the latest, the one ``read_latest`` and the ``latest_*`` reads give (Prefect's
``ArtifactCollection``, here computed, not stored: deleting the latest version makes the one
before it the latest, as in Prefect). An artifact without a key has no other version.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> for n in (1, 2):
...     _ = database.write(engine, lambda conn: create(conn, {"key": "report", "data": n}))
>>> database.read(engine, lambda conn: read_latest(conn, "report"))["data"]
2
"""

from __future__ import annotations

import json as _json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import bulk, tables, types
from praefect.orchestration import filters as _filters
from praefect.schemas.states import now_utc
from praefect.utilities import ids

if TYPE_CHECKING:
    from praefect.schemas.artifacts import (
        ArtifactCollectionCriteria,
        ArtifactCollectionQuery,
        ArtifactCriteria,
        ArtifactQuery,
    )

__all__ = [
    "check_key",
    "count",
    "count_latest",
    "create",
    "delete",
    "delete_key",
    "new_row",
    "read",
    "read_latest",
    "read_latest_many",
    "read_many",
    "require",
    "update",
    "write_batch",
]

_art = tables.artifact
_KEY = re.compile(r"^[a-z0-9-]+$")
_FIELDS = ("key", "type", "description", "data", "metadata_", "flow_run_id", "task_run_id")
_MAX_METADATA = 500
_COLUMNS = ("id", "created", "updated", *_FIELDS)
_SQLITE_KINDS = ("U", "T", "T", "", "", "", "", "", "U", "U")
_sqlite_sql: dict[int, str] = {}


def _sqlite_insert(rows: int) -> str:
    sql = _sqlite_sql.get(rows)
    if sql is None:
        values = bulk.values_sql(_SQLITE_KINDS, rows)
        sql = _sqlite_sql[rows] = (
            f"INSERT OR IGNORE INTO artifact ({','.join(_COLUMNS)}) VALUES {values}"
        )
    return sql


def check_key(key: object) -> str | None:
    """``key`` if it is None or a valid artifact key, else ``InvalidNameError`` naming it."""
    if key is not None and (not isinstance(key, str) or not _KEY.match(key) or len(key) > 255):
        raise exceptions.InvalidNameError(
            f"Artifact key {key!r} is not valid: use only lowercase letters, numbers and dashes"
            " (e.g. 'weekly-report')."
        )
    return key


def _metadata(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"Artifact metadata must be a dict of strings, got {value!r}.")
    out = {}
    for k, v in value.items():
        text = str(v)
        out[str(k)] = text if len(text) <= _MAX_METADATA else text[:_MAX_METADATA] + "..."
    return out


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or value.__class__ is uuid.UUID:
        return value
    return uuid.UUID(str(value))


def new_row(artifact: Mapping[str, Any]) -> dict[str, Any]:
    """The row of a new artifact (its ``id`` and ``created`` kept when given), checked."""
    now = now_utc()
    created = artifact.get("created") or now
    return {
        "id": _uuid(artifact.get("id")) or ids.uuid7(),
        "created": created,
        "updated": created,
        "key": check_key(artifact.get("key")),
        "type": artifact.get("type"),
        "description": artifact.get("description"),
        "data": artifact.get("data"),
        "metadata_": _metadata(artifact.get("metadata_")),
        "flow_run_id": _uuid(artifact.get("flow_run_id")),
        "task_run_id": _uuid(artifact.get("task_run_id")),
    }


def create(conn: Connection, artifact: Mapping[str, Any]) -> dict[str, Any]:
    """Create an artifact (a new version of its ``key``, when it has one) and return it."""
    row = new_row(artifact)
    write_batch(conn, [row])
    return read(conn, row["id"]) or row


def write_batch(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows made by ``new_row`` (the write-behind queue's artifacts); one already there
    (the same id, sent twice) is left as it is."""
    rows = list(rows)
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(_filters.insert_ignoring_conflicts(conn, _art, ["id"]), rows)
        return
    # SQLite, the embedded store: multi-row INSERTs of raw values (ids as hex digits, times as
    # microseconds, both formatted by SQLite): an artifact per task must cost the writer little
    epoch_us, dumps = types.epoch_us, _json.dumps
    flat: list[Any] = []
    extend = flat.extend
    for row in rows:
        flow_run_id, task_run_id, metadata = (
            row["flow_run_id"],
            row["task_run_id"],
            row["metadata_"],
        )
        created = epoch_us(row["created"])
        extend(
            (
                row["id"].hex,
                created,
                created if row["updated"] is row["created"] else epoch_us(row["updated"]),
                row["key"],
                row["type"],
                row["description"],
                dumps(row["data"]),
                None if metadata is None else dumps(metadata),
                None if flow_run_id is None else flow_run_id.hex,
                None if task_run_id is None else task_run_id.hex,
            )
        )
    bulk.insert_chunks(conn, _sqlite_insert, len(_COLUMNS), flat, None)


def read(conn: Connection, artifact_id: uuid.UUID) -> dict[str, Any] | None:
    """The artifact with this id, or None."""
    row = conn.execute(sa.select(_art).where(_art.c.id == artifact_id)).mappings().first()
    return dict(row) if row is not None else None


def _newest_first() -> list[Any]:
    return [_art.c.created.desc(), _art.c.id.desc()]


def read_latest(conn: Connection, key: str) -> dict[str, Any] | None:
    """The latest version of ``key`` (with ``latest_id``, its id), or None."""
    select = sa.select(_art).where(_art.c.key == key).order_by(*_newest_first()).limit(1)
    row = conn.execute(select).mappings().first()
    return _collection(row) if row is not None else None


def _collection(row: sa.RowMapping) -> dict[str, Any]:
    out = {name: row[name] for name in ("id", "created", "updated", *_FIELDS)}
    out["latest_id"] = row["id"]
    return out


def _run_clauses(criteria: Any, flow_run: Any, task_run: Any) -> list[Any]:
    """Clauses on the runs of the artifacts (``flow_runs``, ``task_runs``, ``flows``,
    ``deployments`` of ``criteria``)."""
    out: list[Any] = []
    if criteria is None:
        return out
    if any(getattr(criteria, k, None) is not None for k in ("flow_runs", "flows", "deployments")):
        runs = _filters.Criteria(
            flows=criteria.flows, flow_runs=criteria.flow_runs, deployments=criteria.deployments
        )
        ids = sa.select(tables.flow_run.c.id).where(*_filters.flow_run_clauses(runs))
        out.append(flow_run.in_(ids))
    if criteria.task_runs is not None:
        tasks = _filters.Criteria(task_runs=criteria.task_runs)
        ids = sa.select(tables.task_run.c.id).where(*_filters.task_run_clauses(tasks))
        out.append(task_run.in_(ids))
    return out


def _artifact_clauses(f: Any, columns: Any, id_column: Any) -> list[Any]:
    if f is None:
        return []
    out: list[Any] = []
    _filters._ids(id_column, getattr(f, "id", None) or getattr(f, "latest_id", None), out)
    if f.key is not None:
        _filters._ids(columns.key, f.key, out)
        if f.key.exists_ is not None:
            out.append(columns.key.is_not(None) if f.key.exists_ else columns.key.is_(None))
    _filters._ids(columns.flow_run_id, f.flow_run_id, out)
    _filters._ids(columns.task_run_id, f.task_run_id, out)
    _filters._ids(columns.type, f.type, out)
    return _filters._combine(f, out)


def _where(criteria: ArtifactCriteria | None) -> list[Any]:
    f = criteria.artifacts if criteria is not None else None
    return _artifact_clauses(f, _art.c, _art.c.id) + _run_clauses(
        criteria, _art.c.flow_run_id, _art.c.task_run_id
    )


def _order(table: Any, sort: Any) -> list[Any]:
    name = getattr(sort, "value", sort) or "ID_DESC"
    column_name, _, direction = name.rpartition("_")
    column = table.c[column_name.lower()]
    if direction == "DESC":
        return [column.desc().nulls_last(), table.c.id.desc()]
    return [column.asc().nulls_last(), table.c.id.asc()]


def read_many(conn: Connection, query: ArtifactQuery | None = None) -> list[dict[str, Any]]:
    """The artifacts (every version) of ``query``, newest id first unless its ``sort``."""
    select = sa.select(_art).where(*_where(query))
    select = select.order_by(*_order(_art, getattr(query, "sort", None)))
    if query is not None:
        select = select.limit(query.limit).offset(query.offset or None)
    return [dict(row) for row in conn.execute(select).mappings()]


def count(conn: Connection, criteria: ArtifactCriteria | None = None) -> int:
    """How many artifacts (every version) match."""
    select = sa.select(sa.func.count()).select_from(_art).where(*_where(criteria))
    return int(conn.execute(select).scalar_one())


def _latest() -> Any:
    """The latest version of each key, as a subquery shaped like ``artifact``."""
    rank = (
        sa.func.row_number()
        .over(partition_by=_art.c.key, order_by=_newest_first())
        .label("version_rank")
    )
    ranked = sa.select(_art, rank).where(_art.c.key.is_not(None)).subquery("ranked")
    columns = [ranked.c[c.name] for c in _art.c]
    return sa.select(*columns).where(ranked.c.version_rank == 1).subquery("latest")


def _latest_select(criteria: ArtifactCollectionCriteria | None) -> tuple[Any, Any]:
    latest = _latest()
    f = criteria.artifacts if criteria is not None else None
    where = _artifact_clauses(f, latest.c, latest.c.id) + _run_clauses(
        criteria, latest.c.flow_run_id, latest.c.task_run_id
    )
    return latest, where


def read_latest_many(
    conn: Connection, query: ArtifactCollectionQuery | None = None
) -> list[dict[str, Any]]:
    """The latest version of each key of ``query`` (each with ``latest_id``)."""
    latest, where = _latest_select(query)
    select = sa.select(latest).where(*where)
    select = select.order_by(*_order(latest, getattr(query, "sort", None)))
    if query is not None:
        select = select.limit(query.limit).offset(query.offset or None)
    return [_collection(row) for row in conn.execute(select).mappings()]


def count_latest(conn: Connection, criteria: ArtifactCollectionCriteria | None = None) -> int:
    """How many keys match (by their latest version)."""
    latest, where = _latest_select(criteria)
    select = sa.select(sa.func.count()).select_from(latest).where(*where)
    return int(conn.execute(select).scalar_one())


def update(conn: Connection, artifact_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
    """Change the ``data``, ``description`` and ``metadata_`` given; False when there is no
    such artifact."""
    values: dict[str, Any] = {"updated": now_utc()}
    for name in ("data", "description"):
        if name in changes:
            values[name] = changes[name]
    if "metadata_" in changes:
        values["metadata_"] = _metadata(changes["metadata_"])
    update = _art.update().where(_art.c.id == artifact_id).values(**values)
    return conn.execute(update).rowcount > 0


def delete(conn: Connection, artifact_id: uuid.UUID) -> bool:
    """Delete one artifact (the version before it becomes its key's latest); False when there
    is no such artifact."""
    return conn.execute(_art.delete().where(_art.c.id == artifact_id)).rowcount > 0


def delete_key(conn: Connection, key: str) -> int:
    """Delete every version of ``key``; how many there were."""
    return conn.execute(_art.delete().where(_art.c.key == key)).rowcount


def require(row: dict[str, Any] | None, artifact_id: uuid.UUID) -> dict[str, Any]:
    """``row``, or ``ObjectNotFound`` naming the artifact."""
    if row is None:
        raise exceptions.ObjectNotFound(f"Artifact {artifact_id} not found.", id=artifact_id)
    return row
