"""``praefect variable``: named JSON values (Prefect's ``prefect variable``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="variable", help="Manage variables.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The variable's name.")]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _record(variable: Any) -> dict[str, Any]:
    return variable.model_dump(mode="json")


def _read(client: Any, name: str) -> Any:
    variable = client.read_variable_by_name(name)
    if variable is None:
        _common.exit_with_error(f"Variable {name!r} not found; see praefect variable ls.")
    return variable


@app.command("ls")
def ls(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to show.")] = 100,
    output: OutputOption = None,
) -> None:
    """List variables, by name.

    Example: praefect variable ls
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        variables = client.read_variables(limit=limit)
    _common.print_listing(
        variables,
        output,
        "No variables found.",
        ["Name", "Value", "Tags", "Updated"],
        lambda v: [v.name, _text(v.value)[:60], ", ".join(v.tags), _common.format_time(v.updated)],
        records=[_record(v) for v in variables],
    )


@app.command()
def get(name: NameArgument) -> None:
    """Print a variable's value (JSON unless it is a string).

    Example: praefect variable get db_host
    """
    with _common.sync_client() as client:
        typer.echo(_text(_read(client, name).value))


@app.command()
def inspect(name: NameArgument, output: OutputOption = None) -> None:
    """Show a variable: its id, value, tags and times.

    Example: praefect variable inspect db_host -o json
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        variable = _read(client, name)
    if output == "json":
        _common.print_json(_record(variable))
        return
    _common.print_details(
        [
            ("Name", variable.name),
            ("ID", str(variable.id)),
            ("Value", _text(variable.value)),
            ("Tags", ", ".join(variable.tags) or "-"),
            ("Created", _common.format_time(variable.created)),
            ("Updated", _common.format_time(variable.updated)),
        ]
    )


@app.command("set")
def set_(
    name: NameArgument,
    value: Annotated[str, typer.Argument(help="The value: JSON (1, true, [..], {..}) or text.")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the variable if it exists.")
    ] = False,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag (repeat for several).")
    ] = None,
) -> None:
    """Set a variable; a value that parses as JSON is stored as that JSON, anything else as text.

    Example: praefect variable set limits '{"cpu": 2}' --tag infra --overwrite
    """
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    from praefect.variables import Variable

    with _common.sync_client():
        try:
            Variable.set(name, parsed, tags=tag, overwrite=overwrite)
        except ValueError as exc:
            message = str(exc).replace("`overwrite=True`", "--overwrite")
            _common.exit_with_error(message)
    typer.echo(f"Set variable {name!r}.")


@app.command()
def unset(name: NameArgument) -> None:
    """Delete a variable.

    Example: praefect variable unset db_host
    """
    from praefect.variables import Variable

    with _common.sync_client():
        found = Variable.unset(name)
    if not found:
        _common.exit_with_error(f"Variable {name!r} not found; see praefect variable ls.")
    typer.echo(f"Unset variable {name!r}.")


app.command("delete", help="Delete a variable (as unset).")(unset)
