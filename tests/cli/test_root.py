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
