"""``praefect verify --quick``: the fault suite's invariants as a command, run against the real
``praefect server start`` on each database, and against the embedded store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import running_server

INVARIANTS = (
    "Every submitted run terminates",
    "A killed run is marked Crashed and resumes",
    "No step with a recorded result re-runs",
    "No run executed by two attempts at once",
    "Each state history is a valid path",
    "Nothing acknowledged is lost",
    "One idempotency key gives one run",
)


def _verify(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "praefect.cli", "verify", "--quick", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_all_pass(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for invariant in INVARIANTS:
        line = next((line for line in result.stdout.splitlines() if invariant in line), "")
        assert "PASS" in line, output
    assert "All invariants hold." in result.stdout


def _nothing_left(env: dict[str, str]) -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "praefect.cli", "flow", "ls"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "praefect-verify-" not in listing.stdout


def test_verify_passes_against_a_server(
    database_url: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "PRAEFECT_DATABASE_URL": database_url}
    with running_server(env, log=tmp_path / "server.log") as (_, api_url):
        result = _verify(env, "--api-url", api_url)
        _assert_all_pass(result)
        _nothing_left({**env, "PRAEFECT_API_URL": api_url})


def test_verify_passes_on_the_embedded_store(cli_env: dict[str, str]) -> None:
    result = _verify(cli_env)
    _assert_all_pass(result)
    _nothing_left(cli_env)


def test_verify_fails_loudly_when_the_server_does_not_answer(cli_env: dict[str, str]) -> None:
    from tests.conftest import free_port

    result = _verify(cli_env, "--api-url", f"http://127.0.0.1:{free_port()}/api")
    assert result.returncode == 1
    assert "Cannot reach http://127.0.0.1:" in result.stderr
