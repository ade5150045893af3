"""The fault suite: real processes, real kills, real database outages.

Every test here carries the ``faults`` marker (``pytest -m faults`` runs just them). They assert
invariants a user relies on (every run ends, nothing acknowledged is lost, nothing runs twice),
never timings.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


# -- a PostgreSQL cluster of the test's own, to stop and start ---------------------------------

POSTGRES_BIN = Path(os.environ.get("PRAEFECT_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
"""Where ``initdb`` and ``pg_ctl`` are (PostgreSQL's server binaries)."""


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory on a free port (trust auth, user
    ``postgres``), made with ``initdb`` and run with ``pg_ctl``: a test may stop it (an outage)
    and start it again. Never the shared server."""

    def __init__(self, directory: Path, port: int, as_user: list[str]) -> None:
        self.directory = directory
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        """The SQLAlchemy URL of its ``postgres`` database."""
        self._as_user = as_user

    def _pg_ctl(self, *args: str) -> None:
        command = [*self._as_user, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.directory / "data")]
        subprocess.run(
            [*command, "-w", "-t", "60", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-l", str(self.directory / "log"), "-o", options, "start")

    def stop(self) -> None:
        """Stop the server now (``-m fast``: sessions are cut, as in a crash or restart)."""
        self._pg_ctl("-m", "fast", "stop")

    def running(self) -> bool:
        """Whether the server runs."""
        command = [*self._as_user, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.directory / "data")]
        return subprocess.run([*command, "status"], stdout=subprocess.DEVNULL).returncode == 0


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running ``PostgresCluster`` of this test, removed at its end. Skips when PostgreSQL's
    server binaries are missing, except with ``CI=true`` where it fails."""
    if not (POSTGRES_BIN / "initdb").exists():
        message = f"PostgreSQL's initdb is not in {POSTGRES_BIN} (PRAEFECT_TEST_POSTGRES_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the outage tests must run)", pytrace=False)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="praefect-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(directory, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = PostgresCluster(directory, free_port(), as_user)
    try:
        subprocess.run(
            [*as_user, str(POSTGRES_BIN / "initdb"), "-D", str(directory / "data")]
            + ["-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            if cluster.running():
                cluster._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)
