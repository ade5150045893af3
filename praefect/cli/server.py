"""``praefect server``: run the API server and manage its database."""

from __future__ import annotations

from typing import Annotated

import typer

from praefect.cli import _common

__all__ = ["app"]

app = typer.Typer(help="Run the praefect server and manage its database.", no_args_is_help=True)
database_app = typer.Typer(help="Upgrade, downgrade or reset the database.", no_args_is_help=True)
app.add_typer(database_app, name="database")


@app.command()
def start(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 4200).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Start the server: migrate the database, then serve the web UI, the REST API and /docs.

    Example: praefect server start --port 4200
    """
    import time

    started = time.perf_counter()
    import uvicorn

    from praefect import settings
    from praefect.server import admin
    from praefect.server.app import create_app

    current = settings.get_current_settings()
    host = host or current.server_host
    port = port or current.server_port
    revision = admin.upgrade()
    app_ = create_app(current)
    url = f"http://{host}:{port}"
    typer.echo(
        f"praefect server at {url} (web UI {url}/, API {url}/api, docs {url}/docs); database "
        f"{_common_url(current.resolved_database_url)} at {revision}; ready in "
        f"{time.perf_counter() - started:.2f}s.\n"
        f"Point clients at it with: export PRAEFECT_API_URL={url}/api\n"
        f"Open the UI: {url}/"
    )
    # the UI's live streams stay open: on Ctrl-C, close them after a few seconds, not never
    uvicorn.run(
        app_,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=3,
    )


def _common_url(url: str) -> str:
    from praefect.cli.version import _hide_password

    return _hide_password(url)


@database_app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema."""
    from praefect.server import admin

    typer.echo(f"Database at revision {admin.upgrade()}.")


@database_app.command()
def downgrade(
    revision: Annotated[str, typer.Option(help="Alembic revision to go down to.")] = "-1",
) -> None:
    """Undo the last migration (or down to --revision; 'base' drops every table)."""
    from praefect.server import admin

    typer.echo(f"Database at revision {admin.downgrade(revision=revision)}.")


@database_app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop all data and recreate an empty database."""
    from praefect.server import admin

    url = _common_url(admin.database_url())
    if not yes and not typer.confirm(f"Delete ALL data in {url}?", default=False):
        _common.exit_with_error("Reset cancelled; nothing was changed.")
    typer.echo(f"Database reset; at revision {admin.reset()}.")
