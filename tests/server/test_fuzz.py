"""Schemathesis against the app's own OpenAPI spec, on SQLite and on PostgreSQL: no generated
request gets a 5xx (NUL characters, NaN, huge numbers and long lists included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from praefect import database
from praefect.server.app import create_app

# One app per database; each test points its app at its database (the URL is read per request).
_sqlite_app = create_app(database_url="sqlite:///:memory:")
_postgres_app = create_app(database_url="sqlite:///:memory:")
on_sqlite = schemathesis.openapi.from_asgi("/openapi.json", _sqlite_app)
on_postgres = schemathesis.openapi.from_asgi("/openapi.json", _postgres_app)
for _schema in (on_sqlite, on_postgres):
    # The coverage phase alone takes minutes on 2 cores; bounded random examples keep it short.
    _schema.config.phases.coverage.enabled = False

_EXAMPLES = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.db'}"
    _sqlite_app.state.database_url = url
    yield
    database.dispose_engine(url)


@pytest.fixture(scope="module")
def postgres(postgres_database: str) -> None:
    # fails with CI=true when PostgreSQL is missing (tests/conftest.py)
    _postgres_app.state.database_url = postgres_database


def _bounded(case):  # type: ignore[no-untyped-def]
    """A long poll's wait cut to a blink: its answer is what is checked, not 60 s of waiting."""
    body = case.body
    if case.path == "/api/task_runs/claim" and isinstance(body, dict):
        if isinstance(body.get("timeout"), int | float) and body["timeout"] > 0.2:
            body["timeout"] = 0.2
    return case


@on_sqlite.parametrize()
@_EXAMPLES
def test_no_request_gives_a_server_error_on_sqlite(case, sqlite_database: None):
    _bounded(case).call_and_validate(checks=[not_a_server_error])


@on_postgres.parametrize()
@_EXAMPLES
def test_no_request_gives_a_server_error_on_postgres(case, postgres: None):
    _bounded(case).call_and_validate(checks=[not_a_server_error])
