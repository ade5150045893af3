"""The artifact and variable services on SQLite and PostgreSQL: the write-behind batch insert
(ids, times, JSON and NULLs as each database stores them), the latest version per key, and
variable values of every JSON type."""

from __future__ import annotations

import datetime as dt
import uuid

from praefect import database, orchestration
from praefect.schemas import artifacts as art
from praefect.schemas import variables as var

_art = orchestration.artifacts


def test_a_batch_of_artifacts_is_stored_as_given_and_the_newest_of_a_key_is_the_latest(
    engine, new_run
):
    run_id = new_run()
    task_run_id = uuid.uuid4()
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    rows = [
        _art.new_row(
            {
                "key": "report" if n < 40 else None,
                "type": "table",
                "data": {"n": n, "cells": [1.5, None, "x"]},
                "metadata_": {"source": "bench"} if n % 2 else None,
                "flow_run_id": run_id,
                "task_run_id": task_run_id if n % 3 else None,
                "created": start + dt.timedelta(seconds=n),
            }
        )
        for n in range(50)  # more than one multi-row INSERT on SQLite
    ]
    database.write(engine, lambda conn: _art.write_batch(conn, rows))
    database.write(engine, lambda conn: _art.write_batch(conn, rows[:3]))  # sent twice: kept once

    stored = database.read(engine, lambda conn: _art.read(conn, rows[7]["id"]))
    assert stored == rows[7]
    assert database.read(engine, lambda conn: _art.count(conn)) == 50
    latest = database.read(engine, lambda conn: _art.read_latest(conn, "report"))
    assert latest["latest_id"] == rows[39]["id"] and latest["data"]["n"] == 39
    by_run = art.ArtifactCollectionCriteria(flow_runs={"id": {"any_": [run_id]}})
    assert database.read(engine, lambda conn: _art.count_latest(conn, by_run)) == 1
    of_task = art.ArtifactQuery(artifacts={"task_run_id": {"any_": [task_run_id]}}, limit=100)
    found = database.read(engine, lambda conn: _art.read_many(conn, of_task))
    assert len(found) == sum(1 for n in range(50) if n % 3)


def test_variable_values_of_every_json_type_come_back_as_stored(engine):
    values = {"text": "eu", "int": 3, "float": 2.5, "flag": False, "none": None}
    values.update({"list": [1, "a", None], "nested": {"a": {"b": [True]}}})

    def create_all(conn):  # type: ignore[no-untyped-def]
        for name, value in values.items():
            orchestration.variables.create(conn, {"name": name, "value": value})

    database.write(engine, create_all)
    rows = database.read(engine, lambda conn: orchestration.variables.read_many(conn))
    assert {row["name"]: row["value"] for row in rows} == values
    untagged = var.VariableCriteria(variables={"tags": {"is_null_": True}})
    assert database.read(engine, lambda conn: orchestration.variables.count(conn, untagged)) == 7
