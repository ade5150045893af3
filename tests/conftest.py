"""Fixtures shared by the whole suite.

Every test gets its own praefect home (database, results, profiles) in a temporary directory:
set in-process through ``praefect.settings.temporary_settings(..., process_wide=True)`` and, for
subprocesses (the CLI, example scripts), through ``PRAEFECT_HOME`` in the environment. A test never
touches ``~/.praefect`` and never sees another test's runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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
