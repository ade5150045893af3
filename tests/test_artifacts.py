"""``praefect.artifacts``: each kind of artifact made in flows and tasks, versions by key, the
run ids they carry, and the async twins (embedded mode)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

import praefect
from praefect import artifacts, flow, task
from praefect.runtime import flow_run, task_run


def test_each_kind_of_artifact_is_stored_with_its_run():
    @task
    def summarise() -> tuple[uuid.UUID, uuid.UUID]:
        made = artifacts.create_table_artifact(
            [{"region": "eu", "sales": 3}, {"region": "us", "sales": float("nan")}],
            key="sales-table",
        )
        return made, task_run.id

    @flow
    def report() -> dict[str, object]:
        table_id, task_run_id = summarise()
        return {
            "run": flow_run.id,
            "task_run": task_run_id,
            "table": table_id,
            "md": artifacts.create_markdown_artifact("# Hi", key="sales", description="weekly"),
            "link": artifacts.create_link_artifact("https://example.com", "docs", key="docs"),
            "image": artifacts.create_image_artifact("https://example.com/a.png", key="chart"),
        }

    ids = report()
    md = artifacts.Artifact.get("sales")
    assert (md.type, md.data, md.description) == ("markdown", "# Hi", "weekly")
    assert str(md.flow_run_id) == str(ids["run"]) and md.task_run_id is None and md.id == ids["md"]
    table = artifacts.Artifact.get("sales-table")
    assert table.type == "table" and str(table.task_run_id) == str(ids["task_run"])
    assert str(table.flow_run_id) == str(ids["run"])
    assert json.loads(table.data)[1] == {"region": "us", "sales": None}  # NaN is null
    assert artifacts.Artifact.get("docs").data == "[docs](https://example.com)"
    assert artifacts.Artifact.get("chart").type == "image"


def test_progress_artifact_moves_and_is_clamped(caplog):
    @flow
    def load() -> uuid.UUID:
        progress = artifacts.create_progress_artifact(0.0, key="load-progress")
        artifacts.update_progress_artifact(progress, 40.0, description="40 of 100")
        return progress

    progress_id = load()
    stored = artifacts.Artifact.get("load-progress")
    assert (stored.id, stored.data, stored.description) == (progress_id, 40.0, "40 of 100")
    artifacts.update_progress_artifact(progress_id, 140.0)
    assert artifacts.Artifact.get("load-progress").data == 100.0
    assert "outside 0-100" in caplog.text
    with pytest.raises(praefect.exceptions.ObjectNotFound):
        artifacts.update_progress_artifact(uuid.uuid4(), 1.0)


def test_the_latest_version_of_a_key_is_the_current_one():
    @flow
    def publish(n: int) -> None:
        artifacts.create_markdown_artifact(f"version {n}", key="notes")

    for n in (1, 2, 3):
        publish(n)
    assert artifacts.Artifact.get("notes").data == "version 3"
    with praefect.get_client(sync_client=True) as client:
        history = client.read_artifacts(
            artifact_filter=artifacts_filter("notes"), sort="CREATED_DESC"
        )
        assert [a.data for a in history] == ["version 3", "version 2", "version 1"]
        client.delete_artifact(history[0].id)
    assert artifacts.Artifact.get("notes").data == "version 2"


def artifacts_filter(key: str) -> object:
    from praefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    return ArtifactFilter(key=ArtifactFilterKey(any_=[key]))


def test_artifact_classes_create_and_get_or_create():
    made = artifacts.MarkdownArtifact(markdown="**bold**", key="classes").create()
    assert made.type == "markdown" and made.data == "**bold**"
    same, created = artifacts.Artifact.get_or_create(key="classes", data="ignored")
    assert (same.id, created) == (made.id, False)
    table = artifacts.TableArtifact(table={"a": [1, 2]}, key="cols").create()
    assert json.loads(table.data) == {"a": [1, 2]}
    assert artifacts.Artifact.get("missing-key") is None


def test_a_bad_key_is_refused_naming_it():
    with pytest.raises(ValueError, match="'My Report'.*lowercase letters, numbers and dashes"):
        artifacts.create_markdown_artifact("x", key="My Report")


def test_async_twins_inside_an_async_flow():
    @flow
    async def report() -> uuid.UUID:
        await artifacts.acreate_markdown_artifact("async", key="async-md")
        await artifacts.acreate_table_artifact([[1, 2]], key="async-table")
        await artifacts.acreate_link_artifact("https://x.org", key="async-link")
        await artifacts.acreate_image_artifact("https://x.org/i.png", key="async-image")
        progress = await artifacts.acreate_progress_artifact(10.0, key="async-progress")
        return await artifacts.aupdate_progress_artifact(progress, 20.0)

    progress_id = asyncio.run(report())
    assert artifacts.Artifact.get("async-progress").id == progress_id
    assert artifacts.Artifact.get("async-progress").data == 20.0
    assert asyncio.run(artifacts.Artifact.aget("async-md")).data == "async"
