"""Schemathesis against the app's own OpenAPI spec: no generated request gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from praefect import database
from praefect.server.app import create_app

_URL = "sqlite:///:memory:"
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(database_url=_URL))
# The coverage phase alone takes minutes on 2 cores; bounded random examples keep this < 60 s.
schema.config.phases.coverage.enabled = False


@pytest.fixture(scope="module", autouse=True)
def _close_database():
    yield
    database.dispose_engine(_URL)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gives_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])
