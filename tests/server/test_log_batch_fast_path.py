"""``POST /api/logs/`` on SQLite takes a fast path (plain dicts, no model per line): it stores
exactly what the general path (``LogCreate`` models) stores, and a body it does not take is
answered by the general path, with the same 422 naming the item and field."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from praefect import database, orchestration
from praefect.server.api import logs as api


def _line(**fields: Any) -> dict[str, Any]:
    return {"name": "praefect.task_runs", "level": 20, "message": "hi", **fields}


def _stored(engine: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        cursor = conn.exec_driver_sql("SELECT * FROM log ORDER BY rowid")
        keep = [i for i, col in enumerate(cursor.keys()) if col != "created"]
        return [tuple(row[i] for i in keep) for row in cursor.fetchall()]


def test_fast_path_stores_the_log_lines_of_the_general_path(tmp_path):
    run, task = str(uuid.uuid4()), str(uuid.uuid4())
    lines = [
        _line(id=str(uuid.uuid4()), timestamp="2030-01-01T00:00:00Z", flow_run_id=run),
        _line(id=str(uuid.uuid4()), timestamp="2030-01-01T00:00:01.000002+00:00", task_run_id=task),
        _line(
            id=str(uuid.uuid4()),
            timestamp="2030-01-01T00:00:02.5".replace(".5", ".500000"),
            flow_run_id=run,
            task_run_id=task,
            level=0,
            message='multi\nline "ü" ✓',
            name="x" * 255,
            extra="ignored",
        ),
        _line(id=None, timestamp="2030-01-01T00:00:03", flow_run_id=None, level=1000),
    ]
    body = json.dumps(lines).encode()
    assert orchestration.logs.wire_values(api._wire_adapter().validate_json(body)) is not None
    fast = database.get_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    general = database.get_engine(f"sqlite:///{tmp_path / 'general.db'}")
    api._write(body, fast)
    api._write_validated(body, general)
    stored, expected = _stored(fast), _stored(general)
    assert stored[:3] == expected[:3]
    # a line without an id gets a new one (a UUID of version 7) on either path
    assert stored[3][1:] == expected[3][1:] and uuid.UUID(stored[3][0]).version == 7
    assert len(stored) == 4


@pytest.mark.parametrize(
    ("line", "where", "fast"),
    [
        (_line(timestamp="2030-01-01T00:00:00Z", level=1001), "body.1.level", False),
        (_line(timestamp="2030-01-01T00:00:00Z", level="loud"), "body.1.level", False),
        (_line(timestamp="2030-01-01T00:00:00Z", id="x"), "body.1.id", False),
        ({"name": "n", "level": 20, "timestamp": "2030-01-01T00:00:00Z"}, "body.1.message", False),
        (_line(timestamp="2030-01-01T00:00:00Z", name="n" * 256), "body.1.name", False),
        (_line(timestamp="soon"), "body.1.timestamp", False),
        # in the fast schema's form, but no date: refused by wire_values
        (_line(timestamp="2030-02-30T00:00:00Z"), "body.1.timestamp", True),
    ],
)
def test_bad_log_line_gets_the_general_paths_422_and_nothing_is_written(client, line, where, fast):
    body = json.dumps([_line(timestamp="2030-01-01T00:00:00Z"), line]).encode()
    try:
        items = api._wire_adapter().validate_json(body)
    except ValidationError:
        assert not fast
    else:
        assert fast and orchestration.logs.wire_values(items) is None
    response = client.post("/api/logs/", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert where in response.json()["exception_message"]
    assert client.post("/api/logs/filter", json={}).json() == []
