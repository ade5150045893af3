"""What a user sees when the CLI is pointed at the wrong place or given a bad value: one line
that says what is wrong and what to do, quickly, and a non-zero exit."""

from __future__ import annotations

import time

import pytest

from tests.cli.conftest import run_praefect
from tests.conftest import free_port


def test_an_unreachable_server_is_one_line_within_seconds(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/api"
    started = time.monotonic()
    result = run_praefect("flow-run", "ls", home=tmp_path, env={"PRAEFECT_API_URL": url})
    took = time.monotonic() - started
    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        f"Cannot reach {url} (connection refused); is `praefect server start` running there? "
        "(Or unset PRAEFECT_API_URL to use the local database.)"
    ]
    assert "Traceback" not in result.output
    assert took < 30  # the client's own budget for flows is 90 s


def test_a_url_without_a_scheme_is_a_settings_error_at_once(tmp_path):
    result = run_praefect(
        "flow-run", "ls", home=tmp_path, env={"PRAEFECT_API_URL": "127.0.0.1:4200/api"}
    )
    assert result.code == 1
    assert "PRAEFECT_API_URL='127.0.0.1:4200/api' is not a URL" in result.stderr
    assert "http://127.0.0.1:4200/api" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    from praefect.server.background import BackgroundServer

    database = tmp_path_factory.mktemp("server") / "server.db"
    with BackgroundServer(database_url=f"sqlite:///{database}") as running:
        yield running


def test_a_url_without_api_suggests_adding_it(server, tmp_path):
    root = server.api_url.removesuffix("/api")
    result = run_praefect("flow-run", "ls", home=tmp_path, env={"PRAEFECT_API_URL": root})
    assert result.code == 1
    assert result.stderr.strip() == (
        f"{root} is the server, not its API: add /api (PRAEFECT_API_URL={root}/api)."
    )
    ok = run_praefect("flow-run", "ls", home=tmp_path, env={"PRAEFECT_API_URL": server.api_url})
    assert ok.code == 0, ok.output


def test_a_bad_cron_or_interval_names_the_option_in_one_line(tmp_path):
    cron = run_praefect(
        "deployment", "schedule", "create", "etl/nightly", "--cron", "bad cron", home=tmp_path
    )
    assert cron.code == 1
    assert cron.stderr.strip().startswith(
        "Invalid schedule: --cron: invalid cron expression 'bad cron'; expected five fields"
    )
    interval = run_praefect(
        "deployment", "schedule", "create", "etl/nightly", "--interval", "-5", home=tmp_path
    )
    assert interval.code == 1
    assert interval.stderr.strip() == (
        "Invalid schedule: --interval: interval must be more than zero, got -5 seconds"
    )
    for result in (cron, interval):
        assert "pydantic" not in result.output and "validation error" not in result.output


def test_server_start_on_a_busy_port_says_so_before_anything_else(server, tmp_path):
    port = server.api_url.removesuffix("/api").rsplit(":", 1)[1]
    result = run_praefect("server", "start", "--port", port, home=tmp_path)
    assert result.code == 1
    assert result.stdout == ""  # no "ready ... point clients at it" first
    assert result.stderr.strip() == (
        f"Cannot start the server on 127.0.0.1:{port}: address already in use; is another "
        "`praefect server start` running? Choose another with --port."
    )
    assert not (tmp_path / "praefect.db").exists()  # nothing migrated either


def _command_paths() -> list[list[str]]:
    import typer

    from praefect.cli import app

    paths: list[list[str]] = []

    def walk(command: typer.core.TyperCommand, path: list[str]) -> None:
        if isinstance(command, typer.core.TyperGroup):
            for name, sub in command.commands.items():
                if not getattr(sub, "hidden", False):
                    walk(sub, [*path, name])
        else:
            paths.append(path)

    walk(typer.main.get_command(app), [])
    return paths


def test_help_of_every_command_reads_cleanly_at_80_columns(monkeypatch: pytest.MonkeyPatch):
    import typer.testing
    from typer.testing import CliRunner

    from praefect.cli import app, build_command

    # the runner builds the command as the praefect script does (plain help for commands)
    monkeypatch.setattr(typer.testing, "_get_command", build_command)
    paths = _command_paths()
    assert ["deployment", "delete"] in paths and ["server", "start"] in paths
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=80)
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert "<bool>" not in text and "``" not in text, (path, text)
        assert "…" not in text, (path, text)  # no option name or help cut short
        assert max(len(line) for line in text.splitlines()) <= 80 or any(
            len(word) > 40
            for word in text.split()  # only an unbreakable word may overflow
        ), (path, text)
