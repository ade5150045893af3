"""``praefect version``: what is installed and where it keeps its data."""

from __future__ import annotations

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption


def version(
    output: OutputOption = None,
) -> None:
    """Show praefect's version, Python's, the database and the API in use.

    Example: praefect version
    """
    import platform
    import sqlite3

    from praefect import settings
    from praefect.schemas import versions

    output = _common.check_output_format(output)
    current = settings.get_current_settings()
    database_url = _hide_password(current.resolved_database_url)
    info = {
        "version": _praefect_version(),
        "prefect_api_version": versions.PREFECT_VERSION,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "database": database_url.split(":", 1)[0].split("+", 1)[0],
        "database_url": database_url,
        "sqlite_version": sqlite3.sqlite_version,
        "api_url": current.api_url or "embedded",
        "home": str(current.home_path),
    }
    if output == "json":
        _common.print_json(info)
        return
    labels = {
        "version": "Version",
        "prefect_api_version": "Prefect API",
        "python": "Python version",
        "platform": "Platform",
        "database": "Database",
        "database_url": "Database URL",
        "sqlite_version": "SQLite version",
        "api_url": "API URL",
        "home": "Home",
    }
    width = max(len(label) for label in labels.values()) + 2
    lines = [f"{(labels[key] + ':'):<{width}}{value}" for key, value in info.items()]
    if info["api_url"] == "embedded":
        lines[-2] += " (in-process store; set PRAEFECT_API_URL to use a server)"
    typer.echo("\n".join(lines))


def _praefect_version() -> str:
    import praefect

    found = getattr(praefect, "__version__", None)
    if found:
        return str(found)
    from importlib import metadata

    try:
        return metadata.version("praefect")
    except metadata.PackageNotFoundError:
        return "unknown"


def _hide_password(url: str) -> str:
    """``postgresql://user:secret@host/db`` → ``postgresql://user:***@host/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, location = rest.rpartition("@")
    if ":" in credentials:
        user = credentials.split(":", 1)[0]
        credentials = f"{user}:***"
    return f"{scheme}://{credentials}{at}{location}"
