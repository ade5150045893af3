import datetime as dt
import json
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from praefect import database
from praefect.database import migrations, tables


def _schema(engine: sa.Engine) -> dict[str, tuple[set[str], set[str]]]:
    inspector = sa.inspect(engine)
    return {
        name: (
            {column["name"] for column in inspector.get_columns(name)},
            {index["name"] for index in inspector.get_indexes(name)},
        )
        for name in inspector.get_table_names()
    }


def test_fresh_database_gets_every_table_and_is_stamped_at_head(database_url):
    url = database_url
    engine = database.get_engine(url)
    try:
        assert set(tables.metadata.tables) <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert migrations.current_version(conn) == migrations.HEAD
    finally:
        database.dispose_engine(url)


def test_alembic_revisions_build_the_same_schema_as_the_tables(tmp_path):
    by_alembic = sa.create_engine(f"sqlite:///{tmp_path}/alembic.db")
    with by_alembic.begin() as conn:
        migrations.upgrade(conn)
    url = f"sqlite:///{tmp_path}/create_all.db"
    try:
        assert _schema(by_alembic) == _schema(database.get_engine(url))
        with by_alembic.connect() as conn:
            assert migrations.current_version(conn) == migrations.HEAD
    finally:
        by_alembic.dispose()
        database.dispose_engine(url)


def test_up_to_date_database_is_opened_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path}/db.sqlite"
    database.get_engine(url)
    database.dispose_engine(url)
    code = (
        "import sys; from praefect import database; "
        f"database.get_engine({url!r}); database.dispose_all(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_parent_directory_of_the_sqlite_file_is_created(tmp_path):
    url = f"sqlite:///{tmp_path}/a/b/c/db.sqlite"
    database.get_engine(url)
    database.dispose_engine(url)
    assert (tmp_path / "a" / "b" / "c" / "db.sqlite").exists()


def test_sqlite_connections_use_wal_and_the_configured_busy_timeout(tmp_path):
    from praefect.settings import temporary_settings

    url = f"sqlite:///{tmp_path}/db.sqlite"
    with temporary_settings({"database_timeout": 7.5}):
        engine = database.get_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7500
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
                # checkpoints every 10,000 WAL pages, not SQLite's 1,000 (fewer commit stalls)
                assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
        finally:
            database.dispose_engine(url)


def test_engines_are_cached_per_url(database_url):
    url = database_url
    try:
        assert database.get_engine(url) is database.get_engine(url)
    finally:
        database.dispose_engine(url)


def test_write_commits_and_read_sees_it(database_url):
    url = database_url
    engine = database.get_engine(url)
    try:
        from praefect import orchestration

        flow_id = database.write(engine, lambda conn: orchestration.flows.ensure(conn, "f"))
        row = database.read(engine, lambda conn: orchestration.flows.read(conn, flow_id))
        assert row["name"] == "f"
    finally:
        database.dispose_engine(url)


def test_a_write_waits_for_another_process_holding_the_sqlite_write_lock(tmp_path):
    """BEGIN IMMEDIATE that finds the database locked (past the busy timeout) is retried until
    the other writer lets go; nothing is lost and the write is not doubled."""
    import sqlite3
    import threading

    from praefect.settings import temporary_settings

    url = f"sqlite:///{tmp_path}/db.sqlite"
    with temporary_settings({"database_timeout": 0.05}):
        engine = database.get_engine(url)
        try:
            database.write(engine, lambda conn: conn.exec_driver_sql("CREATE TABLE t (x INT)"))
            other = sqlite3.connect(
                tmp_path / "db.sqlite", isolation_level=None, check_same_thread=False
            )
            other.execute("BEGIN IMMEDIATE")
            released = threading.Timer(0.4, other.execute, args=("COMMIT",))
            released.start()
            start = time.monotonic()
            database.write(engine, lambda conn: conn.exec_driver_sql("INSERT INTO t VALUES (1)"))
            waited = time.monotonic() - start
            released.join()
            other.close()
            count = database.read(
                engine, lambda conn: conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
            )
        finally:
            database.dispose_engine(url)
    assert waited >= 0.3  # it did wait for the lock (the busy timeout alone is 50 ms)
    assert count == 1


def test_runs_without_deployment_queue_parent_or_key_stay_out_of_their_indexes(tmp_path):
    """Those flow-run indexes are partial (most runs leave the columns NULL, and each index a
    commit touches costs SQLite a page written to the WAL); lookups by value still use them,
    and (flow_id, idempotency_key) stays unique."""
    url = f"sqlite:///{tmp_path}/db.sqlite"
    engine = database.get_engine(url)
    try:
        with engine.connect() as conn:
            indexes = {
                name: sql
                for name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flow_run'"
                )
            }
            lookups = [
                "SELECT id FROM flow_run WHERE work_queue_id IN ('a', 'b') AND state_type = 'SCHEDULED'"
                " ORDER BY next_scheduled_start_time",
                "SELECT id FROM flow_run WHERE deployment_id = 'a' AND state_type = 'SCHEDULED'",
                "SELECT id FROM flow_run WHERE flow_id = 'f' AND idempotency_key IN ('k')",
                "SELECT id FROM flow_run WHERE parent_task_run_id IN ('p', 'q')",
            ]
            plans = [
                " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + q))
                for q in lookups
            ]
    finally:
        database.dispose_engine(url)
    for column in ("work_queue_id", "deployment_id", "idempotency_key", "parent_task_run_id"):
        partial = [
            name for name, sql in indexes.items() if sql and f"WHERE {column} IS NOT NULL" in sql
        ]
        assert partial, f"no partial index on {column}: {indexes}"
    assert "uq_flow_run__flow_id_idempotency_key" in indexes
    expected = [
        "ix_flow_run__work_queue_id_state_type_next_scheduled_start_time",
        "ix_flow_run__deployment_id_state_type_next_scheduled_start_time",
        "uq_flow_run__flow_id_idempotency_key",
        "ix_flow_run__parent_task_run_id",
    ]
    for plan, index in zip(plans, expected, strict=True):
        assert f"USING INDEX {index}" in plan, plan


def test_the_idempotency_key_stays_unique_per_flow_and_null_keys_never_clash(database_url):
    engine = database.get_engine(database_url)
    at = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    flow_id = uuid.uuid4()

    def run(key: str | None) -> dict[str, object]:
        return {
            "id": uuid.uuid4(),
            "name": "r",
            "flow_id": flow_id,
            "idempotency_key": key,
            "parameters": {},
            "tags": [],
            "empirical_policy": {},
            "created": at,
            "updated": at,
        }

    try:
        database.write(
            engine,
            lambda conn: conn.execute(tables.flow_run.insert(), [run(None), run(None), run("k")]),
        )
        with pytest.raises(sa.exc.IntegrityError):
            database.write(engine, lambda conn: conn.execute(tables.flow_run.insert(), run("k")))
    finally:
        database.dispose_engine(database_url)


def test_indexes_partial_on_sqlite_are_partial_on_postgresql_too(database_url):
    # tables.py gives SQLAlchemy only SQLite's WHERE (so a SQLite process never loads the
    # PostgreSQL dialect); a PostgreSQL engine adds PostgreSQL's before creating the tables.
    expected = sum(
        index.dialect_options["sqlite"]["where"] is not None for index in tables.flow_run.indexes
    )
    engine = database.get_engine(database_url)
    query = (
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'flow_run'"
        if engine.dialect.name == "postgresql"
        else "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flow_run'"
    )
    with engine.connect() as conn:
        definitions = [row[0] or "" for row in conn.exec_driver_sql(query)]
    assert expected == 5
    assert sum(" WHERE " in definition for definition in definitions) == expected, definitions


def _downgrade(conn: sa.Connection, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.__path__[0]))
    config.attributes["connection"] = conn
    command.downgrade(config, revision)


def test_stored_state_change_events_are_renamed_to_prefects_names(database_url):
    """0008 rewrites events stored under praefect's old names; a user's events stay as sent."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, "0007_api_keys")
            _downgrade(conn, "0007_api_keys")  # the shared PostgreSQL database is at the head
            run = "01a23782-b341-7e4c-b4ad-29594c2a7153"
            old = {
                "event": "praefect.flow-run.Completed",
                "resource_id": f"praefect.flow-run.{run}",
                "resource": json.dumps(
                    {
                        "prefect.resource.id": f"praefect.flow-run.{run}",
                        "praefect.state-type": "COMPLETED",
                        "praefect.state-name": "Completed",
                    }
                ),
                "related": '[{"prefect.resource.id":"praefect.flow.f1","prefect.resource.role":'
                '"flow"},{"prefect.resource.id":"praefect.tag.etl","prefect.resource.role":"tag"}]',
            }
            mine = {
                "event": "acme.order.created",
                "resource_id": "acme.order.1",
                "resource": '{"prefect.resource.id":"acme.order.1"}',
                "related": "[]",
            }
            for row in (old, mine):
                conn.execute(
                    sa.text(
                        "INSERT INTO event (id, occurred, event, resource_id, resource, related,"
                        " payload, received) VALUES (:id, :at, :event, :resource_id, :resource,"
                        " :related, '{}', :at)"
                    ),
                    {**row, "id": str(uuid.uuid4()), "at": dt.datetime.now(dt.UTC)},
                )
            migrations.upgrade(conn)
        with engine.connect() as conn:
            event = tables.event
            rows = conn.execute(sa.select(event).order_by(event.c.resource_id)).mappings().all()
    finally:
        engine.dispose()
    by_resource = {row["resource_id"]: row for row in rows}
    renamed = by_resource[f"prefect.flow-run.{run}"]
    assert renamed["event"] == "prefect.flow-run.Completed"
    assert renamed["resource"] == {
        "prefect.resource.id": f"prefect.flow-run.{run}",
        "prefect.state-type": "COMPLETED",
        "prefect.state-name": "Completed",
    }
    assert [r["prefect.resource.id"] for r in renamed["related"]] == [
        "prefect.flow.f1",
        "prefect.tag.etl",
    ]
    assert by_resource["acme.order.1"]["event"] == "acme.order.created"
