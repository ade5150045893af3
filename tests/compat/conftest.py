"""Fixtures of the real-client suite: Prefect's own ``prefect`` package (in its own venv, see
``prefect_venv.py``) against one praefect server per session.

Every test here is marked ``prefect_client`` (``-m prefect_client`` runs only them, ``-m 'not
prefect_client'`` skips them). Without the venv they skip with the reason (``make
prefect-venv`` builds it), except with ``CI=true`` where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat import prefect_venv
from tests.conftest import running_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.prefect_client)


@pytest.fixture(scope="session")
def prefect_python() -> Path:
    """The interpreter of the Prefect venv."""
    reason = prefect_venv.missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the real-client tests must run)", pytrace=False)
        pytest.skip(reason)
    return prefect_venv.python()


def _clean_environ() -> dict[str, str]:
    keep = ("PRAEFECT_", "PREFECT_")
    return {k: v for k, v in os.environ.items() if not k.startswith(keep)}


@pytest.fixture(scope="session")
def compat_server(prefect_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API URL of a praefect server (its own home and SQLite database) for the session."""
    home = tmp_path_factory.mktemp("compat-server")
    env = _clean_environ()
    env["PRAEFECT_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with running_server(env, log=home / "server.log") as (_, api):
        yield api


@pytest.fixture(scope="session")
def prefect_env(compat_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Prefect process pointed at the session's server."""
    env = _clean_environ()
    env.update(
        PREFECT_API_URL=compat_server,
        PREFECT_HOME=str(tmp_path_factory.mktemp("prefect-home")),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_CLI_COLORS="false",
        PREFECT_CLI_WRAP_LINES="false",
        COLUMNS="200",
        NO_COLOR="1",
    )
    return env


@pytest.fixture(scope="session")
def scenario(
    prefect_python: Path, prefect_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """The outcome of each step of ``prefect_scenario.py`` (run once per session)."""
    work = tmp_path_factory.mktemp("prefect-work")
    shutil.copy(HERE / "prefect_flows.py", work / "prefect_flows.py")
    results = work / "results.json"
    done = subprocess.run(
        [str(prefect_python), str(HERE / "prefect_scenario.py"), str(results)],
        cwd=work,
        env=prefect_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if not results.exists():
        pytest.fail(
            f"the Prefect scenario did not finish:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return json.loads(results.read_text())


class PrefectSchemas:
    """Validates JSON bodies with Prefect's client schemas, in a subprocess of its venv."""

    def __init__(self, python: Path) -> None:
        self.process = subprocess.Popen(
            [str(python), str(HERE / "prefect_validator.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_clean_environ(),
        )

    def errors(self, model: str, body: Any, many: bool = False) -> list[str]:
        """Why Prefect's ``prefect.client.schemas.<model>`` refuses ``body`` (none: it reads
        it); ``many``: body is a list of them."""
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"model": model, "many": many, "body": body}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the Prefect schema validator exited")
        return json.loads(line)["errors"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="session")
def prefect_schemas(prefect_python: Path) -> Iterator[PrefectSchemas]:
    schemas = PrefectSchemas(prefect_python)
    try:
        yield schemas
    finally:
        schemas.close()
