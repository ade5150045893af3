"""``praefect api-key``: API keys with a role (viewer, operator, admin) on the server's
database."""

from __future__ import annotations

from typing import Annotated

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(
    help="Create, list and revoke API keys (viewer, operator, admin) on the server's database.",
    no_args_is_help=True,
)


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="Who or what uses the key (unique).")],
    role: Annotated[
        str, typer.Option("--role", "-r", help="viewer (reads), operator (runs), admin (all).")
    ],
) -> None:
    """Create a key and print it, once: only its hash is stored.

    Example: praefect api-key create --role viewer --name ci
    """
    from praefect import exceptions
    from praefect.server import keys

    if role not in keys.ROLES:
        _common.exit_with_error(f"Unknown role {role!r}; the roles are: {', '.join(keys.ROLES)}.")
    try:
        row, key = keys.create(name, role)
    except (ValueError, exceptions.ObjectAlreadyExists) as exc:
        _common.exit_with_error(str(exc))
    typer.echo(key)
    _common.err_console().print(
        f"Created API key {row['name']!r} with the {row['role']} role. Store it now: it is not "
        "shown again. Clients send it as PRAEFECT_API_KEY.",
        soft_wrap=True,
    )


@app.command("ls")
def ls(
    output: OutputOption = None,
) -> None:
    """List the keys (name, role, first characters, created); never the keys themselves."""
    from praefect.server import keys

    output = _common.check_output_format(output)
    rows = keys.read_all()
    if output == "json":
        _common.print_json(
            [
                {
                    "id": str(row["id"]),
                    "name": row["name"],
                    "role": row["role"],
                    "key_prefix": row["key_prefix"],
                    "created": row["created"].isoformat(),
                }
                for row in rows
            ]
        )
        return
    if not rows:
        typer.echo("No API keys: the server is open unless it has an auth string or keys set.")
        return
    from rich.table import Table

    table = Table("name", "role", "key", "created")
    for row in rows:
        table.add_row(
            row["name"], row["role"], row["key_prefix"] + "...", row["created"].isoformat()
        )
    _common.console().print(table)


@app.command()
def revoke(
    name: Annotated[str, typer.Argument(help="The key's name (or id).")],
) -> None:
    """Revoke a key: the server refuses it within a few seconds.

    Example: praefect api-key revoke ci
    """
    from praefect.server import keys

    if not keys.revoke(name):
        _common.exit_with_error(f"No API key called {name!r}; see praefect api-key ls.")
    typer.echo(f"Revoked API key {name!r}.")
