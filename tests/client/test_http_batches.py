"""The task-run batch body written by pydantic_core (``http.task_run_body``) says what the
client's general JSON encoder says, and the server stores the same rows from either."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

from praefect.client import http
from praefect.schemas.states import State
from praefect.server.app import create_app
from praefect.utilities.ids import uuid7


class _Reference:
    def to_reference(self) -> dict[str, Any]:
        return {"__praefect_result_ref__": True, "storage_key": "k"}


def _tasks() -> list[tuple[dict[str, Any], State | None]]:
    at = dt.datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    flow_run = uuid7()

    def row(name: str, flow_run_id: Any = flow_run, **fields: Any) -> dict[str, Any]:
        return {
            "id": uuid7(),
            "name": name,
            "flow_run_id": flow_run_id,
            "task_key": name,
            "dynamic_key": "0",
            "task_version": None,
            "tags": ["t", "ü"],
            "task_inputs": {"x": [{"input_type": "task_run", "id": uuid7()}]},
            "empirical_policy": {"retries": 1, "retry_delay": [0.5], "retry_jitter_factor": None},
            "run_count": 1,
            "flow_run_run_count": 1,
            "cache_key": None,
            "cache_expiration": None,
            "start_time": at,
            "end_time": at.replace(microsecond=0),
            "total_run_time": 4e-05,
            "expected_start_time": at,
            "created": at,
            **fields,
        }

    def state(kind: str, run: dict[str, Any], **fields: Any) -> State:
        details = {"task_run_id": run["id"]}
        if run["flow_run_id"] is not None:
            details["flow_run_id"] = run["flow_run_id"]
        fields.setdefault("state_details", details)
        return State(kind, timestamp=fields.pop("timestamp", at), **fields)

    a, b, c = row("a"), row("b", None), row('c "q" ✓', cache_expiration=at)
    return [
        (a, state("PENDING", a)),
        (b, state("PENDING", b)),
        (a, state("RUNNING", a, message='say "hi" ✓', timestamp=at.replace(microsecond=0))),
        (c, state("RUNNING", c, name="Retrying")),
        (a, state("COMPLETED", a, data=_Reference())),
        (c, state("FAILED", c, data=3, message="boom")),
        (b, None),
        (b, state("SCHEDULED", b, state_details={"scheduled_time": at, "task_run_id": b["id"]})),
        (
            c,
            state(
                "CRASHED",
                c,
                state_details={"flow_run_id": c["flow_run_id"], "task_run_id": c["id"]},
            ),
        ),
    ]


def _times_parsed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _times_parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_times_parsed(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return dt.datetime.fromisoformat(value)
    return value


def test_fast_body_says_what_the_general_encoder_says():
    tasks = _tasks()
    fast = json.loads(http.task_run_body(tasks))
    general = json.loads(http.dumps(http.task_run_items(tasks)))
    assert _times_parsed(fast) == _times_parsed(general)


def test_server_stores_the_same_rows_from_either_body(tmp_path):
    tasks = _tasks()
    bodies = http.task_run_body(tasks), http.dumps(http.task_run_items(tasks))
    stored = []
    for name, body in zip(("fast", "general"), bodies, strict=True):
        client = TestClient(create_app(database_url=f"sqlite:///{tmp_path / name}.db"))
        flow = client.post("/api/flows/", json={"name": "f"}).json()
        flow_run = {"id": str(tasks[0][0]["flow_run_id"]), "flow_id": flow["id"]}
        assert client.post("/api/flow_runs/", json=flow_run).status_code == 201
        response = client.post(
            "/api/task_runs/batch", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 201, response.text
        rows = {}
        for path in ("task_runs/filter", "task_runs/count"):
            rows[path] = client.post(f"/api/{path}", json={}).json()
        runs = rows["task_runs/filter"]
        for run in runs:
            run.pop("updated")
            run["history"] = client.get(
                "/api/task_run_states/", params={"task_run_id": run["id"]}
            ).json()
        stored.append(sorted(runs, key=lambda run: run["name"]))
    assert stored[0] == stored[1]
    assert [len(run["history"]) for run in stored[0]] == [3, 2, 3]
    assert uuid.UUID(stored[0][0]["id"])
