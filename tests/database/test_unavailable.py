"""What is an outage, on a real PostgreSQL: a refused connection or a server that ends the
session is ``DatabaseUnavailable`` (503 with Retry-After, the client tries again); an error
psycopg raises for a statement it refuses itself, with no SQLSTATE, is not (500: trying again
would never help)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from praefect import database, exceptions, orchestration
from praefect.server.app import create_app
from tests.conftest import free_port

_TOO_MANY_PARAMETERS = "SELECT 1 WHERE 0 IN (" + ", ".join(["%s"] * 70_000) + ")"


def _too_many_parameters(conn: sa.Connection, *args: object) -> None:
    conn.exec_driver_sql(_TOO_MANY_PARAMETERS, tuple(range(70_000)))


def test_a_refused_connection_is_an_outage():
    url = database.postgres_url(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with pytest.raises(exceptions.DatabaseUnavailable, match="Connection refused"):
        database.read(engine, lambda conn: conn.exec_driver_sql("SELECT 1"))


def test_a_session_the_server_ends_is_an_outage(postgres_database):
    engine = sa.create_engine(database.postgres_url(postgres_database), poolclass=sa.pool.NullPool)
    admin = sa.create_engine(database.postgres_url(postgres_database), poolclass=sa.pool.NullPool)

    def ended_meanwhile(conn: sa.Connection) -> None:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        conn.exec_driver_sql("SELECT 1")

    with pytest.raises(exceptions.DatabaseUnavailable, match="administrator command"):
        database.read(engine, ended_meanwhile)


def test_an_error_psycopg_raises_without_sqlstate_is_no_outage(postgres_database):
    engine = sa.create_engine(database.postgres_url(postgres_database), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.OperationalError, match="number of parameters") as raised:
        database.read(engine, _too_many_parameters)
    assert not database.is_unavailable(raised.value)


def test_the_server_answers_500_not_503_for_it(postgres_database, monkeypatch):
    monkeypatch.setattr(orchestration.flow_runs, "read", _too_many_parameters)
    with TestClient(create_app(database_url=postgres_database)) as client:
        answer = client.get(f"/api/flow_runs/{uuid.uuid4()}")
    assert answer.status_code == 500, answer.text
    assert "retry-after" not in answer.headers
