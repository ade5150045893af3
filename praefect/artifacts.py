"""Artifacts: what a run publishes for people to read (Prefect 3's ``prefect.artifacts``).

Markdown, tables, links, images and progress bars, shown on the run's page in the UI. An
artifact created inside a flow or task belongs to that run. Artifacts with the same ``key``
are the versions of one artifact: the newest is its current one (``Artifact.get(key)``).

Creating one in a run costs a few microseconds: the record goes through the same write-behind
queue as task runs, and any read of artifacts (or the end of the flow) waits for it.

>>> from praefect import flow
>>> from praefect.artifacts import create_markdown_artifact
>>> @flow
... def report():
...     create_markdown_artifact("# Sales\\n\\nUp 3%.", key="sales-report")
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from praefect import client as _client
from praefect import context as _context

__all__ = [
    "Artifact",
    "ImageArtifact",
    "LinkArtifact",
    "MarkdownArtifact",
    "ProgressArtifact",
    "TableArtifact",
    "acreate_image_artifact",
    "acreate_link_artifact",
    "acreate_markdown_artifact",
    "acreate_progress_artifact",
    "acreate_table_artifact",
    "aupdate_progress_artifact",
    "create_image_artifact",
    "create_link_artifact",
    "create_markdown_artifact",
    "create_progress_artifact",
    "create_table_artifact",
    "update_progress_artifact",
]

_logger = logging.getLogger("praefect.artifacts")

Table = dict[str, list[Any]] | list[dict[str, Any]] | list[list[Any]]


def _door() -> Any:
    return _client.get_orchestration_client()


def _run_ids() -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(flow run id, task run id) of the run executing here."""
    task_ctx = _context.TaskRunContext._var.get()
    if task_ctx is not None:
        task_run = task_ctx.task_run
        return getattr(task_run, "flow_run_id", None), task_run.id
    flow_ctx = _context.FlowRunContext._var.get()
    if flow_ctx is not None:
        return flow_ctx.flow_run.id, None
    return None, None


def _publish(type: str, data: Any, key: str | None, description: str | None) -> uuid.UUID:
    flow_run_id, task_run_id = _run_ids()
    return _door().enqueue_artifact(
        {
            "key": key,
            "type": type,
            "description": description,
            "data": data,
            "flow_run_id": flow_run_id,
            "task_run_id": task_run_id,
        }
    )


def _artifact(row: dict[str, Any] | None) -> Any:
    if row is None:
        return None
    from praefect.schemas.artifacts import Artifact as ArtifactRecord

    return ArtifactRecord.model_validate({**row, "id": row.get("latest_id") or row["id"]})


class Artifact(BaseModel):
    """An artifact to create (``type``, ``key``, ``description``, ``data``); the classmethods
    ``get`` and ``get_or_create`` read stored ones.

    >>> Artifact.get("sales-report")  # doctest: +SKIP
    Artifact(id=UUID('...'), key='sales-report', type='markdown', data='# Sales...', ...)
    """

    model_config = ConfigDict(extra="forbid")

    type: str | None = None
    key: str | None = None
    description: str | None = None
    data: Any = None
    metadata_: dict[str, str] | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None

    def format(self) -> Any:
        """The ``data`` stored for this artifact."""
        return self.data

    async def aformat(self) -> Any:
        return self.format()

    def create(self, client: Any = None) -> Any:
        """Store this artifact now (a new version of its key) and return the stored record."""
        flow_run_id, task_run_id = _run_ids()
        row = _door().create_artifact(
            {
                "key": self.key,
                "type": self.type,
                "description": self.description,
                "data": self.format(),
                "metadata_": self.metadata_,
                "flow_run_id": self.flow_run_id or flow_run_id,
                "task_run_id": self.task_run_id or task_run_id,
            }
        )
        return _artifact(row)

    async def acreate(self, client: Any = None) -> Any:
        """``create``, awaited."""
        return await asyncio.to_thread(self.create)

    @classmethod
    def get(cls, key: str | None = None, client: Any = None) -> Any:
        """The current (latest) version of ``key``, or None."""
        if key is None:
            from praefect.schemas.artifacts import ArtifactQuery

            rows = _door().read_artifacts(ArtifactQuery(limit=1))
            return _artifact(rows[0]) if rows else None
        return _artifact(_door().read_latest_artifact(key))

    @classmethod
    async def aget(cls, key: str | None = None, client: Any = None) -> Any:
        """``get``, awaited."""
        return await asyncio.to_thread(cls.get, key)

    @classmethod
    def get_or_create(
        cls,
        key: str | None = None,
        description: str | None = None,
        data: Any = None,
        client: Any = None,
        **kwargs: Any,
    ) -> tuple[Any, bool]:
        """(the latest version of ``key``, False), or (a new artifact, True) when none."""
        existing = cls.get(key)
        if existing is not None:
            return existing, False
        return cls(key=key, description=description, data=data, **kwargs).create(), True

    @classmethod
    async def aget_or_create(
        cls,
        key: str | None = None,
        description: str | None = None,
        data: Any = None,
        client: Any = None,
        **kwargs: Any,
    ) -> tuple[Any, bool]:
        """``get_or_create``, awaited."""
        return await asyncio.to_thread(cls.get_or_create, key, description, data, None, **kwargs)


class MarkdownArtifact(Artifact):
    """Markdown text."""

    markdown: str
    type: str | None = "markdown"

    def format(self) -> str:
        return self.markdown


class LinkArtifact(Artifact):
    """A link, stored as markdown (``[text](url)``)."""

    link: str
    link_text: str | None = None
    type: str | None = "markdown"

    def format(self) -> str:
        return _link(self.link, self.link_text)


class TableArtifact(Artifact):
    """A table: a list of rows (dicts), a dict of columns, or a list of lists."""

    table: Table
    type: str | None = "table"

    def format(self) -> str:
        return _table(self.table)


class ProgressArtifact(Artifact):
    """A progress bar, in percent (0 to 100)."""

    progress: float
    type: str | None = "progress"

    def format(self) -> float:
        return _progress(self.progress)


class ImageArtifact(Artifact):
    """An image shown from a public URL."""

    image_url: str
    type: str | None = "image"

    def format(self) -> str:
        return self.image_url


def _link(link: str, link_text: str | None) -> str:
    return f"[{link_text or link}]({link})"


def _sanitize(item: Any) -> Any:
    if isinstance(item, list):
        return [_sanitize(value) for value in item]
    if isinstance(item, dict):
        return {k: _sanitize(v) for k, v in item.items()}
    if isinstance(item, float) and math.isnan(item):
        return None
    return item


def _table(table: Any) -> str:
    if not isinstance(table, list | dict):
        raise TypeError(
            f"A table artifact takes a list of dicts, a dict of lists or a list of lists, not"
            f" {type(table).__name__!r}."
        )
    return json.dumps(_sanitize(table))


def _progress(progress: float) -> float:
    value = float(progress)
    if not 0.0 <= value <= 100.0:
        clamped = min(max(value, 0.0), 100.0)
        _logger.warning("Progress %s%% is outside 0-100; shown as %s%%.", progress, clamped)
        value = clamped
    return value


# -- the functions Prefect users call -------------------------------------------------------------
def create_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Publish markdown (shown rendered, HTML escaped) and return the artifact's id.

    >>> create_markdown_artifact("**3** new customers", key="signups")  # doctest: +SKIP
    UUID('...')
    """
    return _publish("markdown", markdown, key, description)


def create_table_artifact(
    table: Table, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Publish a table (a list of row dicts, a dict of columns, or a list of lists); NaN is
    stored as null."""
    return _publish("table", _table(table), key, description)


def create_link_artifact(
    link: str,
    link_text: str | None = None,
    key: str | None = None,
    description: str | None = None,
    client: Any = None,
) -> uuid.UUID:
    """Publish a link (stored as the markdown ``[link_text](link)``)."""
    return _publish("markdown", _link(link, link_text), key, description)


def create_image_artifact(
    image_url: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Publish an image, by its public URL."""
    return _publish("image", image_url, key, description)


def create_progress_artifact(
    progress: float, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Publish a progress bar (percent, 0 to 100); move it with ``update_progress_artifact``."""
    return _publish("progress", _progress(progress), key, description)


def update_progress_artifact(
    artifact_id: uuid.UUID,
    progress: float,
    description: str | None = None,
    client: Any = None,
) -> uuid.UUID:
    """Move a progress bar to ``progress`` percent; return its id."""
    changes: dict[str, Any] = {"data": _progress(progress)}
    if description is not None:
        changes["description"] = description
    artifact_id = uuid.UUID(str(artifact_id))
    if not _door().update_artifact(artifact_id, changes):
        from praefect import exceptions

        raise exceptions.ObjectNotFound(f"Artifact {artifact_id} not found.", id=artifact_id)
    return artifact_id


async def acreate_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """``create_markdown_artifact``, awaitable."""
    return create_markdown_artifact(markdown, key, description)


async def acreate_table_artifact(
    table: Table, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """``create_table_artifact``, awaitable."""
    return create_table_artifact(table, key, description)


async def acreate_link_artifact(
    link: str,
    link_text: str | None = None,
    key: str | None = None,
    description: str | None = None,
    client: Any = None,
) -> uuid.UUID:
    """``create_link_artifact``, awaitable."""
    return create_link_artifact(link, link_text, key, description)


async def acreate_image_artifact(
    image_url: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """``create_image_artifact``, awaitable."""
    return create_image_artifact(image_url, key, description)


async def acreate_progress_artifact(
    progress: float, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """``create_progress_artifact``, awaitable."""
    return create_progress_artifact(progress, key, description)


async def aupdate_progress_artifact(
    artifact_id: uuid.UUID,
    progress: float,
    description: str | None = None,
    client: Any = None,
) -> uuid.UUID:
    """``update_progress_artifact``, awaited (the database work runs in a thread)."""
    return await asyncio.to_thread(update_progress_artifact, artifact_id, progress, description)
