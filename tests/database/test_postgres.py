"""PostgreSQL specifics: Alembic on PostgreSQL, concurrent first opens, native types, the pool,
``praefect server database upgrade | downgrade | reset``.

Each test gets fresh databases from ``new_postgres_database`` (skipped without a server, failed
with ``CI=true``)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from praefect import database, orchestration
from praefect.database import migrations, tables
from praefect.schemas.queries import FlowRunQuery
from praefect.settings import temporary_settings


def _schema(engine: sa.Engine) -> dict[str, object]:
    with engine.connect() as conn:
        columns = conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, column_name"
        ).all()
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY indexname"
        ).all()
    return {"columns": [tuple(c) for c in columns], "indexes": [tuple(i) for i in indexes]}


def test_alembic_revisions_build_the_same_schema_as_the_tables(new_postgres_database):
    by_alembic = sa.create_engine(database.postgres_url(new_postgres_database()))
    try:
        with by_alembic.begin() as conn:
            migrations.upgrade(conn)
        created = database.get_engine(new_postgres_database())
        assert _schema(by_alembic) == _schema(created)
        kinds = {(t, c): k for t, c, k, *_ in _schema(created)["columns"]}
        assert kinds[("flow_run", "id")] == "uuid"
        assert kinds[("flow_run", "parameters")] == "jsonb"
        assert kinds[("flow_run", "created")] == "timestamp with time zone"
        with by_alembic.connect() as conn:
            assert migrations.current_version(conn) == migrations.HEAD
    finally:
        by_alembic.dispose()


def test_text_ids_and_json_of_an_older_database_become_uuid_and_jsonb(new_postgres_database):
    url = database.postgres_url(new_postgres_database())
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, "0002_blocks")
            # as a database made before ids were native on PostgreSQL
            conn.exec_driver_sql("ALTER TABLE flow ALTER COLUMN id TYPE varchar(36)")
            conn.exec_driver_sql(
                "INSERT INTO flow (id, created, updated, name, tags) VALUES "
                "('01234567-89ab-cdef-0123-456789abcdef', now(), now(), 'old', '[\"a\"]')"
            )
            migrations.upgrade(conn)
            kinds = dict(
                conn.exec_driver_sql(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = 'flow'"
                ).all()
            )
        assert kinds["id"] == "uuid" and kinds["tags"] == "jsonb"
        engine.dispose()
        praefect_engine = database.get_engine(url.render_as_string(hide_password=False))
        row = database.read(
            praefect_engine, lambda conn: orchestration.flows.read_by_name(conn, "old")
        )
        assert row["id"] == uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
        assert row["tags"] == ["a"]
    finally:
        engine.dispose()


_OPEN = """
import sys
from praefect import database
from praefect.database import migrations
engine = database.get_engine(sys.argv[1])
with engine.connect() as conn:
    print(migrations.current_version(conn))
"""


def test_processes_opening_a_fresh_database_together_migrate_it_once(new_postgres_database):
    url = new_postgres_database()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == [migrations.HEAD] * 6
    engine = database.get_engine(url)
    with engine.connect() as conn:
        stamps = conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar()
    assert stamps == 1
    assert set(tables.metadata.tables) <= set(sa.inspect(engine).get_table_names())


def test_pool_is_sized_by_the_settings(new_postgres_database):
    url = new_postgres_database()
    changes = {
        "database_pool_size": 3,
        "database_max_overflow": 2,
        "database_pool_timeout": 4.5,
        "database_pool_recycle": 120,
    }
    with temporary_settings(changes):
        engine = database.get_engine(url)
    pool = engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == (3, 2, 4.5, 120)
    assert engine.dialect.driver == "psycopg"


def test_asyncpg_and_plain_urls_are_served_by_psycopg(postgres_database):
    for driver in ("postgresql+asyncpg", "postgresql"):
        url = sa.engine.make_url(postgres_database).set(drivername=driver)
        assert database.postgres_url(url).drivername == "postgresql+psycopg"


def test_upgrade_downgrade_and_reset(new_postgres_database):
    from praefect.server import admin

    url = new_postgres_database()
    assert admin.upgrade(url) == migrations.HEAD
    engine = database.get_engine(url)
    database.write(engine, lambda conn: orchestration.flows.ensure(conn, "kept"))
    assert admin.downgrade(url, "0002_blocks") == "0002_blocks"
    assert admin.downgrade(url, "base") == "base"
    plain = sa.create_engine(database.postgres_url(url))
    try:
        assert not set(tables.metadata.tables) & set(sa.inspect(plain).get_table_names())
    finally:
        plain.dispose()
    assert admin.upgrade(url) == migrations.HEAD
    engine = database.get_engine(url)
    database.write(engine, lambda conn: orchestration.flows.ensure(conn, "gone"))
    assert admin.reset(url) == migrations.HEAD
    engine = database.get_engine(url)
    assert database.read(engine, orchestration.flows.count) == 0


@pytest.mark.parametrize("sort", ["CREATED_DESC", "NAME_ASC", "START_TIME_DESC"])
def test_sorting_and_filters_agree_with_sqlite(database_url, sort):
    """The same rows, filtered and sorted, come back in the same order on both backends."""
    from praefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterTags,
    )
    from praefect.schemas.states import State

    engine = database.get_engine(database_url)

    def fill(conn):
        flow_id = orchestration.flows.ensure(conn, "f")
        for i in range(12):
            orchestration.flow_runs.create(
                conn,
                {
                    "id": uuid.UUID(int=i + 1),
                    "name": f"run-{i % 4}-{'Ab'[i % 2]}",
                    "flow_id": flow_id,
                    "tags": ["even"] if i % 2 == 0 else ["odd", "x"],
                    "state": State("RUNNING" if i % 3 else "PENDING"),
                },
            )

    database.write(engine, fill)
    tagged = FlowRunFilter(
        tags=FlowRunFilterTags(all_=["odd"]), name=FlowRunFilterName(like_="run")
    )
    runs = database.read(
        engine,
        lambda conn: orchestration.flow_runs.read_many(
            conn, FlowRunQuery(flow_runs=tagged, sort=sort)
        ),
    )
    assert len(runs) == 6 and all(r["tags"] == ["odd", "x"] for r in runs)
    if sort == "NAME_ASC":
        names = [r["name"] for r in runs]
        assert names == sorted(names)
    elif sort == "CREATED_DESC":
        created = [r["created"] for r in runs]
        assert created == sorted(created, reverse=True)
    else:  # runs never started sort last
        started = [r["start_time"] for r in runs]
        assert started == sorted(started, key=lambda t: (t is None, t and -t.timestamp()))
