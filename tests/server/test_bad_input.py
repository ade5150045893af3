"""Input that PostgreSQL refuses (and SQLite keeps) gets the same answer on both databases: a
422 naming the field, before anything is written; long ``any_`` lists simply work."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

NUL = "text must not contain the NUL character (\\u0000): no database stores it alike"
NOT_FINITE = "NaN and Infinity are not numbers JSON can carry: send null or a string instead"
SURROGATE = "text must be valid Unicode: a lone surrogate (\\ud800-\\udfff) is no character"


def _post(client: TestClient, path: str, text: str) -> Any:
    return client.post(path, content=text, headers={"content-type": "application/json"})


def _refused(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


def _task_run(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": "t", "task_key": "k", **fields}


def test_nul_characters_are_refused_naming_the_field(client: TestClient, flow_id: str):
    run = client.post("/api/flow_runs/", json={"flow_id": flow_id}).json()
    log = {"name": "x", "level": 20, "message": "a\x00", "timestamp": "2024-01-01T00:00:00Z"}
    cases = [
        ("/api/flows/", {"name": "etl\x00"}, ["body", "name"]),
        (
            "/api/flow_runs/",
            {"flow_id": flow_id, "parameters": {"x": ["a", "b\x00"]}},
            ["body", "parameters", "x", 1],
        ),
        (
            "/api/flow_runs/",
            {"flow_id": flow_id, "state": {"type": "PENDING", "message": "\x00"}},
            ["body", "state", "message"],
        ),
        (
            "/api/flows/filter",
            {"flows": {"name": {"any_": ["\x00"]}}},
            ["body", "flows", "name", "any_", 0],
        ),
        (
            f"/api/flow_runs/{run['id']}/set_state",
            {"state": {"type": "RUNNING", "name": "\x00"}},
            ["body", "state", "name"],
        ),
        # the batch routes' SQLite fast paths give the same answer
        (
            "/api/task_runs/batch",
            [{"row": _task_run(tags=["\x00"])}],
            ["body", 0, "row", "tags", 0],
        ),
        ("/api/logs/", [log], ["body", 0, "message"]),
    ]
    for path, body, loc in cases:
        assert _refused(_post(client, path, json.dumps(body))) == [(loc, NUL)]
    in_a_key = {"name": "pool", "base_job_template": {"\x00": None}}
    assert _refused(_post(client, "/api/work_pools/", json.dumps(in_a_key))) == [
        (["body", "base_job_template"], f"a key: {NUL}")
    ]
    assert _refused(client.get("/api/work_pools/pool%00")) == [(["path"], NUL)]
    assert _refused(client.get("/api/flows/", params={"q": "a\x00"})) == [(["query", "q"], NUL)]
    assert [f["name"] for f in client.post("/api/flows/filter").json()] == ["api-flow"]
    assert client.post("/api/task_runs/count").json() == 0
    assert client.post("/api/logs/filter").json() == []


def test_nan_and_infinity_are_refused_naming_the_field(client: TestClient, flow_id: str):
    for number in ("NaN", "Infinity", "-Infinity", "1e400", "-1E+999"):
        create = f'{{"flow_id": "{flow_id}", "parameters": {{"x": {{"y": {number}}}}}}}'
        assert _refused(_post(client, "/api/flow_runs/", create)) == [
            (["body", "parameters", "x", "y"], NOT_FINITE)
        ]
    state = f'{{"flow_id": "{flow_id}", "state": {{"type": "PENDING", "data": NaN}}}}'
    assert _refused(_post(client, "/api/flow_runs/", state)) == [
        (["body", "state", "data"], NOT_FINITE)
    ]
    batch = json.dumps([{"row": _task_run(labels={"a": float("inf")})}])
    assert _refused(_post(client, "/api/task_runs/batch", batch)) == [
        (["body", 0, "row", "labels", "a"], NOT_FINITE)
    ]
    assert client.post("/api/flow_runs/count").json() == 0
    assert client.post("/api/task_runs/count").json() == 0
    # a number spelled with a big exponent that fits is a number like any other
    fits = f'{{"flow_id": "{flow_id}", "parameters": {{"x": 1e300, "s": "NaN"}}}}'
    assert _post(client, "/api/flow_runs/", fits).json()["parameters"] == {"x": 1e300, "s": "NaN"}


@pytest.mark.parametrize("number", ["1e400", "-1E+0000309", "1" + "0" * 320 + ".5"])
def test_numbers_that_overflow_are_refused_in_bodies_of_any_size(client: TestClient, number: str):
    # a batch of 600 task runs (about 80 KB), the overflowing number in the last one's labels
    rows = [_task_run(labels={"n": index}) for index in range(600)]
    text = json.dumps([{"row": row, "state": {"type": "PENDING"}} for row in rows])
    assert len(text) > 64 * 1024
    text = text[: text.rindex('"n": 599')] + f'"n": {number}' + text[text.rindex('"n": 599') + 8 :]
    assert _refused(_post(client, "/api/task_runs/batch", text)) == [
        (["body", 599, "row", "labels", "n"], NOT_FINITE)
    ]
    assert client.post("/api/task_runs/count").json() == 0
    fits = text.replace(f'"n": {number}', '"n": 1e300')
    assert _post(client, "/api/task_runs/batch", fits).status_code < 300
    assert client.post("/api/task_runs/count").json() == 600


def test_lone_surrogates_are_refused_and_pairs_kept(client: TestClient, flow_id: str):
    lone = f'{{"flow_id": "{flow_id}", "parameters": {{"x": "a\\ud800"}}}}'
    assert _refused(_post(client, "/api/flow_runs/", lone)) == [
        (["body", "parameters", "x"], SURROGATE)
    ]
    key = f'{{"flow_id": "{flow_id}", "parameters": {{"\\udc00": 1}}}}'
    [(loc, message)] = _refused(_post(client, "/api/flow_runs/", key))
    assert (loc, message) == (["body", "parameters"], f"a key: {SURROGATE}")
    pair = f'{{"flow_id": "{flow_id}", "parameters": {{"x": "\\ud83d\\ude00"}}}}'
    assert _post(client, "/api/flow_runs/", pair).json()["parameters"] == {"x": "\U0001f600"}


@pytest.mark.parametrize("level", [2**31, 2**40, 2**70, -(2**63) - 1])
def test_integers_beyond_their_column_are_refused_naming_the_field(client: TestClient, level: int):
    response = _post(client, "/api/logs/filter", f'{{"logs": {{"level": {{"ge_": {level}}}}}}}')
    [(loc, message)] = _refused(response)
    assert loc == ["body", "logs", "level", "ge_"]
    assert message.startswith("Input should be")


def test_filters_with_70_000_ids_find_the_runs(client: TestClient, new_run: Any):
    runs = [new_run(tags=["a"]) for _ in range(3)]
    many = [str(uuid.uuid4()) for _ in range(70_000)]
    wanted = [runs[0]["id"], runs[2]["id"]]
    by_id = {"flow_runs": {"id": {"any_": many + wanted}}}
    found = client.post("/api/flow_runs/filter", json=by_id)
    assert found.status_code == 200, found.text
    assert sorted(run["id"] for run in found.json()) == sorted(wanted)
    assert client.post("/api/flow_runs/count", json=by_id).json() == 2
    not_these = {"flow_runs": {"id": {"not_any_": [*many, runs[1]["id"]]}}}
    assert sorted(
        r["id"] for r in client.post("/api/flow_runs/filter", json=not_these).json()
    ) == sorted(wanted)
    names = {"flow_runs": {"name": {"any_": [*many, runs[1]["name"]]}}}
    assert [r["id"] for r in client.post("/api/flow_runs/filter", json=names).json()] == [
        runs[1]["id"]
    ]
    task_runs = {"task_runs": {"flow_run_id": {"any_": many}}}
    assert client.post("/api/task_runs/filter", json=task_runs).json() == []


def test_a_tag_filter_takes_at_most_100_tags(client: TestClient, new_run: Any):
    run = new_run(tags=["t99"])
    tags = [f"t{i}" for i in range(100)]
    matched = client.post("/api/flow_runs/filter", json={"flow_runs": {"tags": {"any_": tags}}})
    assert [r["id"] for r in matched.json()] == [run["id"]]
    too_many = {"flow_runs": {"tags": {"any_": [*tags, "t100"]}}}
    [(loc, message)] = _refused(client.post("/api/flow_runs/filter", json=too_many))
    assert loc == ["body", "flow_runs", "tags", "any_"]
    assert "at most 100 items" in message


def test_docstring_examples_run():
    import doctest

    from praefect.schemas import storable

    result = doctest.testmod(storable)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(
    "bound", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00"]
)
def test_filter_times_beyond_utc_bound_nothing_more(client: TestClient, new_run: Any, bound: str):
    run = new_run(state="RUNNING")
    for path, body in [
        ("/api/flow_runs/filter", {"flow_runs": {"start_time": {"before_": bound}}}),
        ("/api/flow_runs/filter", {"flow_runs": {"start_time": {"after_": bound}}}),
        ("/api/logs/filter", {"logs": {"timestamp": {"after_": bound}}}),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
    before = {"flow_runs": {"start_time": {"before_": bound}}}
    found = [r["id"] for r in client.post("/api/flow_runs/filter", json=before).json()]
    assert found == ([run["id"]] if bound.startswith("9999") else [])
