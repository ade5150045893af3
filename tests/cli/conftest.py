"""Fixtures for the CLI tests: a store where real flows ran, and a way to run ``praefect``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PRAEFECT = Path(sys.executable).parent / "praefect"
_LEAKY = ("API_URL", "API_KEY", "DATABASE_URL", "API_DATABASE_CONNECTION_URL", "PROFILE")


def subprocess_env(home: Path) -> dict[str, str]:
    """The environment of a user's shell pointed at ``home``, with plain output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not any(k in (f"PRAEFECT_{s}", f"PREFECT_{s}") for s in _LEAKY)
    }
    env.update(PRAEFECT_HOME=str(home), NO_COLOR="1", TERM="dumb", COLUMNS="240")
    env.pop("FORCE_COLOR", None)
    return env


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)


def run_praefect(*args: str, home: Path, timeout: float = 60) -> CliResult:
    command = [str(PRAEFECT)] if PRAEFECT.exists() else [sys.executable, "-m", "praefect.cli"]
    done = subprocess.run(
        [*command, *args],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


@dataclass
class RecordedRuns:
    home: Path
    etl: str
    child: str
    broken: str
    flaky_task_run: str


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> RecordedRuns:
    """A praefect home where ``flows_for_cli.py`` ran as a plain script (as a user would)."""
    home = tmp_path_factory.mktemp("recorded-home")
    done = subprocess.run(
        [sys.executable, str(HERE / "flows_for_cli.py")],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"flows_for_cli.py failed:\n{done.stdout}\n{done.stderr}"
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    return RecordedRuns(home=home, **ids)


@pytest.fixture
def run_cli():
    """``run_cli(*args, home=...)``: run ``praefect`` in a subprocess against any home."""
    return run_praefect


@pytest.fixture
def cli(recorded: RecordedRuns):
    """Run ``praefect ARGS...`` in a subprocess against the recorded home."""

    def run(*args: str) -> CliResult:
        return run_praefect(*args, home=recorded.home)

    return run


@pytest.fixture
def invoke(recorded: RecordedRuns):
    """Run the CLI in-process (typer's CliRunner) against the recorded home: same commands,
    no interpreter start-up, for the many small checks."""
    from typer.testing import CliRunner

    from praefect import settings
    from praefect.cli import app

    runner = CliRunner()

    def run(*args: str, home: Path | None = None, **settings_updates: object) -> CliResult:
        updates = {"home": home or recorded.home, "database_url": None, "api_url": None}
        updates.update(settings_updates)
        with settings.temporary_settings(updates, process_wide=True):
            result = runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def run_script():
    """``run_script(path, home=...)``: run a Python script as a user would, against ``home``."""

    def run(path: Path, home: Path) -> CliResult:
        done = subprocess.run(
            [sys.executable, str(path)],
            env=subprocess_env(home),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run
