"""``praefect flow``: the flows runs were recorded for."""

from __future__ import annotations

from typing import Annotated

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="flow", help="View flows.", no_args_is_help=True)


@app.command("ls")
def ls(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many flows to show.")] = 15,
    output: OutputOption = None,
) -> None:
    """List flows, most recently created first.

    Example: praefect flow ls --limit 50
    """
    output = _common.check_output_format(output)
    from praefect.client.schemas import sorting

    with _common.sync_client() as client:
        flows = list(client.read_flows(limit=limit, sort=sorting.FlowSort.CREATED_DESC))
    flows.sort(key=_common.newest_first_key, reverse=True)

    _common.print_listing(
        flows,
        output,
        "No flows found.",
        [_common.ID_COLUMN, "Name", "Created"],
        lambda found: [
            str(_common.field(found, "id")),
            str(_common.field(found, "name")),
            _common.format_time(_common.field(found, "created")),
        ],
    )
