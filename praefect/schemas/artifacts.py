"""Artifacts on the wire: Prefect 3's ``Artifact``, ``ArtifactCollection`` (the latest version
of a key), ``ArtifactCreate``, ``ArtifactUpdate``, their filters, sorts and the bodies of
``POST /artifacts/filter``, ``/count``, ``/latest/filter`` and ``/latest/count``.

>>> ArtifactQuery.model_validate({"artifacts": {"key": {"any_": ["report"]}}}).sort.value
'ID_DESC'
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from praefect.schemas.filters import (
    DeploymentFilter,
    FlowFilter,
    FlowRunFilter,
    TaskRunFilter,
    _Combined,
    _Filter,
    _Ids,
)
from praefect.schemas.objects import _Object
from praefect.schemas.queries import Limit, Offset, _Query

__all__ = [
    "Artifact",
    "ArtifactCollection",
    "ArtifactCollectionCriteria",
    "ArtifactCollectionFilter",
    "ArtifactCollectionFilterFlowRunId",
    "ArtifactCollectionFilterKey",
    "ArtifactCollectionFilterLatestId",
    "ArtifactCollectionFilterTaskRunId",
    "ArtifactCollectionFilterType",
    "ArtifactCollectionQuery",
    "ArtifactCollectionSort",
    "ArtifactCreate",
    "ArtifactCriteria",
    "ArtifactFilter",
    "ArtifactFilterFlowRunId",
    "ArtifactFilterId",
    "ArtifactFilterKey",
    "ArtifactFilterTaskRunId",
    "ArtifactFilterType",
    "ArtifactQuery",
    "ArtifactSort",
    "ArtifactUpdate",
]


# -- read models ---------------------------------------------------------------------------------
class Artifact(_Object):
    """One artifact, one version of its ``key`` (Prefect's ``Artifact``)."""

    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: dict[str, Any] | Any | None = None
    metadata_: dict[str, str] | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class ArtifactCollection(_Object):
    """The latest version of a key (Prefect's ``ArtifactCollection``): ``latest_id`` is that
    artifact's id."""

    key: str
    latest_id: uuid.UUID
    type: str | None = None
    description: str | None = None
    data: dict[str, Any] | Any | None = None
    metadata_: dict[str, str] | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


# -- actions -------------------------------------------------------------------------------------
class ArtifactCreate(_Filter):
    """The body of ``POST /artifacts/`` (the key is checked by the service layer). ``id``, an
    addition to Prefect's body, lets a client name the artifact it creates (so one sent twice
    is stored once)."""

    id: uuid.UUID | None = None
    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: dict[str, Any] | Any | None = None
    metadata_: dict[str, str] | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class ArtifactUpdate(_Filter):
    """The body of ``PATCH /artifacts/{id}``: the fields given are changed."""

    data: dict[str, Any] | Any | None = None
    description: str | None = None
    metadata_: dict[str, str] | None = None


# -- filters -------------------------------------------------------------------------------------
class ArtifactFilterId(_Ids):
    pass


class ArtifactFilterKey(_Filter):
    any_: list[str] | None = None
    """Match any of these keys."""
    like_: str | None = None
    """Match keys containing this text (case-insensitive)."""
    exists_: bool | None = None
    """True: artifacts with a key; False: those without."""


class ArtifactFilterFlowRunId(_Ids):
    pass


class ArtifactFilterTaskRunId(_Ids):
    pass


class ArtifactFilterType(_Filter):
    any_: list[str] | None = None
    """Match any of these types."""
    not_any_: list[str] | None = None
    """Match none of these types."""


class ArtifactFilter(_Combined):
    """Which artifacts (Prefect's ``ArtifactFilter``)."""

    id: ArtifactFilterId | None = None
    key: ArtifactFilterKey | None = None
    flow_run_id: ArtifactFilterFlowRunId | None = None
    task_run_id: ArtifactFilterTaskRunId | None = None
    type: ArtifactFilterType | None = None


class ArtifactCollectionFilterLatestId(_Ids):
    pass


class ArtifactCollectionFilterKey(ArtifactFilterKey):
    pass


class ArtifactCollectionFilterFlowRunId(_Ids):
    pass


class ArtifactCollectionFilterTaskRunId(_Ids):
    pass


class ArtifactCollectionFilterType(ArtifactFilterType):
    pass


class ArtifactCollectionFilter(_Combined):
    """Which keys, by their latest version (Prefect's ``ArtifactCollectionFilter``)."""

    latest_id: ArtifactCollectionFilterLatestId | None = None
    key: ArtifactCollectionFilterKey | None = None
    flow_run_id: ArtifactCollectionFilterFlowRunId | None = None
    task_run_id: ArtifactCollectionFilterTaskRunId | None = None
    type: ArtifactCollectionFilterType | None = None


# -- sorts and queries ---------------------------------------------------------------------------
class ArtifactSort(enum.StrEnum):
    """Orders of artifacts."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    ID_DESC = "ID_DESC"
    KEY_DESC = "KEY_DESC"
    KEY_ASC = "KEY_ASC"


class ArtifactCollectionSort(enum.StrEnum):
    """Orders of the latest artifacts."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    ID_DESC = "ID_DESC"
    KEY_DESC = "KEY_DESC"
    KEY_ASC = "KEY_ASC"


class ArtifactCriteria(_Query):
    """Which artifacts (the body of ``POST /artifacts/count``): those matching ``artifacts``
    of runs matching the run filters."""

    artifacts: ArtifactFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    flows: FlowFilter | None = None
    deployments: DeploymentFilter | None = None


class ArtifactQuery(ArtifactCriteria):
    """A page of artifacts (the body of ``POST /artifacts/filter``)."""

    sort: ArtifactSort = ArtifactSort.ID_DESC
    limit: Limit = None
    offset: Offset = 0


class ArtifactCollectionCriteria(_Query):
    """Which keys (the body of ``POST /artifacts/latest/count``)."""

    artifacts: ArtifactCollectionFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    flows: FlowFilter | None = None
    deployments: DeploymentFilter | None = None


class ArtifactCollectionQuery(ArtifactCollectionCriteria):
    """A page of the latest artifact of each key (the body of ``POST /artifacts/latest/filter``)."""

    sort: ArtifactCollectionSort = ArtifactCollectionSort.ID_DESC
    limit: Limit = None
    offset: Offset = 0
