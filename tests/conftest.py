"""Fixtures shared by the whole suite.

Every test gets its own praefect home (database, results, profiles) in a temporary directory:
set in-process through ``praefect.settings.temporary_settings(..., process_wide=True)`` and, for
subprocesses (the CLI, example scripts), through ``PRAEFECT_HOME`` in the environment. A test never
touches ``~/.praefect`` and never sees another test's runs.

Tests of the service layer, the API, blocks and the database take the ``database_url`` fixture,
which runs them twice: on a fresh SQLite file (``sqlite``) and on PostgreSQL (``postgres``). The
PostgreSQL server is ``PRAEFECT_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, user postgres,
database test); each test session creates its own database ``praefect_test_<random>`` there,
empties every table before each test and drops the database at the end. Without a reachable
server the ``postgres`` tests skip with the reason, except with ``CI=true`` where they fail.
Select one backend with ``-k sqlite`` or ``-k postgres``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Settings a developer's shell may carry that would point a test at a real store or server.
_LEAKY_ENV = (
    "API_URL",
    "API_KEY",
    "DATABASE_URL",
    "API_DATABASE_CONNECTION_URL",
    "LOCAL_STORAGE_PATH",
    "RESULTS_PERSIST_BY_DEFAULT",
    "LOGGING_LEVEL",
    "PROFILE",
)


@pytest.fixture(autouse=True)
def praefect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated ``PRAEFECT_HOME`` for this test, in-process and for subprocesses."""
    home = tmp_path / "praefect-home"
    home.mkdir()
    for suffix in _LEAKY_ENV:
        monkeypatch.delenv(f"PRAEFECT_{suffix}", raising=False)
        monkeypatch.delenv(f"PREFECT_{suffix}", raising=False)
    monkeypatch.setenv("PRAEFECT_HOME", str(home))
    # Subprocesses start from this venv's interpreter, whatever PATH says.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    from praefect import settings

    updates = {
        "home": home,
        "database_url": None,
        "api_url": None,
        "api_key": None,
        "local_storage_path": None,
        "results_persist_by_default": False,
    }
    with settings.temporary_settings(updates, process_wide=True):
        yield home
        _close_clients()


def _close_clients() -> None:
    """Flush and close the clients (writer threads, database engines) this test opened, so no
    test sees another's connections and no thread outlives its database."""
    client = sys.modules.get("praefect.client")
    drop = getattr(client, "drop_orchestration_clients", None)
    if drop is not None:
        drop()


@pytest.fixture
def cli_env(praefect_home: Path) -> dict[str, str]:
    """The environment for running ``praefect`` or a script in a subprocess against this
    test's home (plain output: no colors, a wide page)."""
    env = dict(os.environ)
    env["PRAEFECT_HOME"] = str(praefect_home)
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    env["COLUMNS"] = "240"
    env.pop("FORCE_COLOR", None)
    return env


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(
    env: dict[str, str], *options: str, log: Path | None = None, port: int | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """The real ``praefect server start`` (with ``options``) on a free port, in a subprocess
    with ``env``: yields the process and its API URL once ``/api/health`` answers 200 (the test
    fails with the server's output if it exits or does not answer within 60 s). Its output goes
    to ``log``, or else stdout is dropped and stderr kept for ``communicate()``. Stopped at the
    end (SIGTERM, SIGKILL after 20 s) unless the test stopped it. ``port`` (default: a free one)
    lets a test start a server again where its clients expect it."""
    import httpx

    port = port or free_port()
    command = [sys.executable, "-m", "praefect.cli", "server", "start", "--port", str(port)]
    if log is not None:
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*command, *options], env=env, stdout=sink, stderr=subprocess.STDOUT
            )
    else:
        process = subprocess.Popen(
            [*command, *options],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = log.read_text()[-2000:] if log is not None else process.communicate()[1]
                pytest.fail(f"the server did not start: {output}")
            time.sleep(0.05)
        yield process, api
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


# -- the database backends: SQLite and PostgreSQL ---------------------------------------------

POSTGRES_SERVER_URL = os.environ.get(
    "PRAEFECT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""The PostgreSQL server the ``postgres`` tests create their database on."""


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL is not available at {POSTGRES_SERVER_URL}: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a PostgreSQL database made for this test session (one per xdist worker),
    dropped at its end."""
    import sqlalchemy as sa

    server_url = sa.engine.make_url(POSTGRES_SERVER_URL)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _postgres_unavailable("psycopg is not installed (pip install 'praefect[postgres]')")
    name = f"praefect_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        server_url,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 3},
    )
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _postgres_unavailable(str(exc.orig).strip().splitlines()[0])
    url = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from praefect import database

        database.dispose_engine(url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def new_postgres_database(postgres_database: str) -> Iterator[Callable[[], str]]:
    """A factory of more empty PostgreSQL databases (for tests of migrations), dropped after
    the test."""
    import sqlalchemy as sa

    from praefect import database

    base = sa.engine.make_url(postgres_database)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    made: list[str] = []

    def make() -> str:
        name = f"praefect_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in made:
                database.dispose_engine(base.set(database=name).render_as_string(False))
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _empty_postgres(url: str) -> None:
    """Make the session's PostgreSQL database fresh for the next test: at the newest schema,
    every table empty."""
    from praefect import database
    from praefect.database import tables

    engine = database.get_engine(url)  # migrates it if a test left it at another revision
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
        # DELETE, not TRUNCATE: on the few rows a test leaves it is ~50x cheaper
        for table in tables.metadata.sorted_tables:
            conn.exec_driver_sql(f'DELETE FROM "{table.name}"')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of this test, on each backend in turn."""
    from praefect import database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'praefect-test.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _empty_postgres(url)
    try:
        yield url
    finally:
        database.dispose_engine(url)


@pytest.fixture
def use_database(
    database_url: str, praefect_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point this test's embedded store at ``database_url``: in-process (process-wide
    settings) and in subprocesses (``PRAEFECT_DATABASE_URL``)."""
    from praefect import settings

    monkeypatch.setenv("PRAEFECT_DATABASE_URL", database_url)
    with settings.temporary_settings({"database_url": database_url}, process_wide=True):
        yield database_url
        _close_clients()
