"""``/api/artifacts``: create, read, filter and count artifacts (every version, or the latest of
each key), update and delete them (Prefect 3's paths and bodies). A bad key is 422 naming it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from praefect import database, exceptions, orchestration
from praefect.schemas.artifacts import (
    Artifact,
    ArtifactCollection,
    ArtifactCollectionCriteria,
    ArtifactCollectionQuery,
    ArtifactCreate,
    ArtifactCriteria,
    ArtifactQuery,
    ArtifactUpdate,
)
from praefect.server.api._deps import EngineDep, page

__all__ = ["router"]

router = APIRouter(prefix="/artifacts", tags=["Artifacts"])
_service = orchestration.artifacts


def _not_found(artifact_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Artifact {artifact_id} not found.", id=artifact_id)


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_artifact(artifact: ArtifactCreate, engine: EngineDep) -> Artifact:
    """Create an artifact: a new version of its key, when it has one."""
    fields = artifact.model_dump(exclude_unset=True)
    return Artifact.model_validate(database.write(engine, lambda c: _service.create(c, fields)))


@router.post("/filter")
def read_artifacts(engine: EngineDep, query: ArtifactQuery = ArtifactQuery()) -> list[Artifact]:
    """Artifacts (every version) matching the filters."""
    query = page(query)
    rows = database.read(engine, lambda conn: _service.read_many(conn, query))
    return [Artifact.model_validate(row) for row in rows]


@router.post("/latest/filter")
def read_latest_artifacts(
    engine: EngineDep, query: ArtifactCollectionQuery = ArtifactCollectionQuery()
) -> list[ArtifactCollection]:
    """The latest version of each key matching the filters."""
    query = page(query)
    rows = database.read(engine, lambda conn: _service.read_latest_many(conn, query))
    return [ArtifactCollection.model_validate(row) for row in rows]


@router.post("/count")
def count_artifacts(engine: EngineDep, criteria: ArtifactCriteria = ArtifactCriteria()) -> int:
    """How many artifacts (every version) match."""
    return database.read(engine, lambda conn: _service.count(conn, criteria))


@router.post("/latest/count")
def count_latest_artifacts(
    engine: EngineDep, criteria: ArtifactCollectionCriteria = ArtifactCollectionCriteria()
) -> int:
    """How many keys match, by their latest version."""
    return database.read(engine, lambda conn: _service.count_latest(conn, criteria))


@router.get("/{key}/latest")
def read_latest_artifact(key: str, engine: EngineDep) -> ArtifactCollection:
    """The latest version of ``key``."""
    row = database.read(engine, lambda conn: _service.read_latest(conn, key))
    if row is None:
        raise exceptions.ObjectNotFound(f"No artifact with the key {key!r}.", key=key)
    return ArtifactCollection.model_validate(row)


@router.get("/{id}")
def read_artifact(id: uuid.UUID, engine: EngineDep) -> Artifact:
    row = database.read(engine, lambda conn: _service.read(conn, id))
    if row is None:
        raise _not_found(id)
    return Artifact.model_validate(row)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_artifact(id: uuid.UUID, artifact: ArtifactUpdate, engine: EngineDep) -> None:
    """Change the data, description or metadata given."""
    changes = artifact.model_dump(exclude_unset=True)
    if not database.write(engine, lambda conn: _service.update(conn, id, changes)):
        raise _not_found(id)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_artifact(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete one artifact (the version before it becomes its key's latest)."""
    if not database.write(engine, lambda conn: _service.delete(conn, id)):
        raise _not_found(id)
