"""``database.rows.insert``: the one-row INSERT of the hot paths stores what Core's would."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from praefect import database
from praefect.database import tables


def _run_row(flow_id: uuid.UUID) -> dict[str, object]:
    at = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    return {
        "id": uuid.uuid4(),
        "created": at,
        "updated": at,
        "name": "run",
        "flow_id": flow_id,
        "parameters": {"x": [1, "two", None], "when": "2024"},
        "job_variables": None,
        "tags": ["a", "b"],
        "empirical_policy": {"retries": 2},
        "state_timestamp": None,
        "pid": 42,
        "auto_scheduled": True,
    }


def test_inserted_row_reads_back_as_a_core_insert_does(database_url):
    engine = database.get_engine(database_url)
    flow_id = uuid.uuid4()
    by_core, by_rows = _run_row(flow_id), _run_row(flow_id)
    run = tables.flow_run

    def insert_both(conn: sa.Connection) -> list[dict[str, object]]:
        conn.execute(run.insert(), by_core)
        database.rows.insert(conn, run, by_rows)
        stored = conn.execute(sa.select(run).order_by(run.c.name, run.c.id)).mappings().all()
        raw = conn.execute(sa.text("SELECT job_variables, created FROM flow_run")).all()
        return [{**row, "id": None} for row in stored] + [{"raw": tuple(r)} for r in raw]

    core_row, rows_row, raw_core, raw_rows = database.write(engine, insert_both)
    assert core_row == rows_row
    assert raw_core == raw_rows  # the same stored form, not only the same Python values
    assert rows_row["run_count"] == 0  # left out: the server default
    assert rows_row["created"] == by_rows["created"]


def test_duplicate_id_raises_sqlalchemys_integrity_error(database_url):
    engine = database.get_engine(database_url)
    row = _run_row(uuid.uuid4())
    database.write(engine, lambda conn: database.rows.insert(conn, tables.flow_run, row))
    with pytest.raises(sa.exc.IntegrityError):
        database.write(engine, lambda conn: database.rows.insert(conn, tables.flow_run, row))


def test_unknown_column_is_named():
    engine = database.get_engine("sqlite:///:memory:")
    with pytest.raises(ValueError, match=r"no column\(s\) \['nope'\]; its columns are: id, "):
        database.write(engine, lambda conn: database.rows.insert(conn, tables.flow, {"nope": 1}))


def test_exists_finds_a_row_by_id_and_only_that_row(database_url):
    engine = database.get_engine(database_url)
    row = _run_row(uuid.uuid4())
    database.write(engine, lambda conn: database.rows.insert(conn, tables.flow_run, row))

    def probe(conn: sa.Connection) -> tuple[bool, bool]:
        return (
            database.rows.exists(conn, tables.flow_run, row["id"]),
            database.rows.exists(conn, tables.flow_run, uuid.uuid4()),
        )

    assert database.read(engine, probe) == (True, False)
