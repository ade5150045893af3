"""``praefect --help`` and ``praefect version``."""

from __future__ import annotations


def test_help_lists_the_commands(run_cli, praefect_home):
    result = run_cli("--help", home=praefect_home)
    assert result.code == 0, result.output
    for command in ("version", "config", "profile", "flow", "flow-run", "task-run", "--profile"):
        assert command in result.stdout


def test_version_shows_versions_and_the_embedded_store(invoke, praefect_home):
    result = invoke("version", home=praefect_home)
    assert result.code == 0, result.output
    import praefect

    assert str(getattr(praefect, "__version__", "0.")) in result.stdout
    assert "Python version" in result.stdout
    assert str(praefect_home / "praefect.db") in result.stdout
    assert "embedded" in result.stdout


def test_version_json_and_a_configured_database_url(invoke, tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    info = invoke("version", "-o", "json", database_url=url).json()
    assert info["api_url"] == "embedded"
    assert info["database"] == "sqlite"
    assert info["database_url"] == url


def test_version_hides_a_database_password():
    from praefect.cli import version

    url = "postgresql+asyncpg://me:s3cret@db.example:5432/praefect"
    assert version._hide_password(url) == "postgresql+asyncpg://me:***@db.example:5432/praefect"


def test_the_script_builds_only_the_command_it_runs_and_it_reads_the_same():
    # main() runs _app_for(<command>): typer converts only that group to click (~4 ms, not ~60)
    from typer.testing import CliRunner

    from praefect import cli

    runner = CliRunner()
    names = [group.name for group in cli.app.registered_groups]
    names += [command.name for command in cli.app.registered_commands]
    assert {"server", "flow-run", "flows", "version", "deploy"} <= set(names)
    for name in names:
        one = cli._app_for(name)
        assert one is not None
        bare = [] if name == "verify" else [[name]]  # a bare `verify` runs its whole workload
        for args in ([name, "--help"], [name, "no-such-command"], *bare):
            whole = runner.invoke(cli.app, args, prog_name="praefect")
            alone = runner.invoke(one, args, prog_name="praefect")
            assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
    for args in (["server", "start", "--help"], ["-p", "nope", "flow-run", "ls"]):
        whole = runner.invoke(cli.app, args, prog_name="praefect")
        alone = runner.invoke(cli._app_for(cli._command_name(args)), args, prog_name="praefect")
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
    assert cli._app_for("no-such-command") is None


def test_the_command_name_is_found_after_the_root_options():
    from praefect.cli import _command_name

    assert _command_name(["server", "start"]) == "server"
    assert _command_name(["--profile", "dev", "flow-run", "ls"]) == "flow-run"
    assert _command_name(["--profile=dev", "version"]) == "version"
    assert _command_name(["-pdev", "version"]) == "version"
    assert _command_name(["--help"]) is None  # the whole app: its help lists every command
    assert _command_name(["--help", "server"]) is None
    assert _command_name([]) is None
