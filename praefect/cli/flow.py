"""``praefect flow``: the flows runs were recorded for."""

from __future__ import annotations

from typing import Annotated

import typer

from praefect.cli import _common

app = typer.Typer(name="flow", help="View flows.", no_args_is_help=True)


@app.command("ls")
def ls(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many flows to show.")] = 15,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Output format: json.", show_default=False)
    ] = None,
) -> None:
    """List flows, most recently created first.

    Example: praefect flow ls --limit 50
    """
    output = _common.check_output_format(output)
    from praefect.client.schemas import sorting

    with _common.sync_client() as client:
        flows = list(client.read_flows(limit=limit, sort=sorting.FlowSort.CREATED_DESC))
    flows.sort(key=_common.newest_first_key, reverse=True)

    if output == "json":
        _common.print_json(flows)
        return
    if not flows:
        _common.console().print("No flows found.")
        return

    from rich.table import Table

    table = Table()
    table.add_column("ID", no_wrap=True, min_width=36, style="cyan")
    table.add_column("Name", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    for found in flows:
        table.add_row(
            str(_common.field(found, "id")),
            str(_common.field(found, "name")),
            _common.format_time(_common.field(found, "created")),
        )
    _common.console().print(table)
