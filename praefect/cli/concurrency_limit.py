"""``praefect concurrency-limit``: create, inspect, list, reset and delete tag concurrency
limits (at most N task runs with a tag at once)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption
from praefect.cli.global_concurrency_limit import describe_holders

app = typer.Typer(
    name="concurrency-limit", help="Manage tag concurrency limits.", no_args_is_help=True
)

TagArg = Annotated[str, typer.Argument(help="The tag.", show_default=False)]


def _read(client: Any, tag: str) -> Any:
    from praefect import exceptions

    try:
        return client.read_concurrency_limit_by_tag(tag)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(f"No concurrency limit found for the tag {tag!r}.")


@app.command("create")
def create(
    tag: TagArg,
    concurrency_limit: Annotated[
        int, typer.Argument(min=0, help="Most task runs with the tag at once.")
    ],
) -> None:
    """Limit the task runs with a tag running at once (changes the limit if there is one).

    Example: praefect concurrency-limit create database 5
    """
    from pydantic import ValidationError

    with _common.sync_client() as client:
        try:
            limit_id = client.create_concurrency_limit(tag=tag, concurrency_limit=concurrency_limit)
        except (ValidationError, ValueError) as exc:
            _common.exit_with_error(f"Could not create the limit of tag {tag!r}: {exc}")
    _common.console().print(
        f"Created concurrency limit with properties:\n    tag - {tag!r}\n"
        f"    concurrency_limit - {concurrency_limit}\n    id - {limit_id}",
        markup=False,
    )


@app.command("inspect")
def inspect(tag: TagArg, output: OutputOption = None) -> None:
    """Show the limit of a tag and the task runs holding its slots.

    Example: praefect concurrency-limit inspect database
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        limit = _read(client, tag)
        holders = client.read_concurrency_limit_holders(f"tag:{tag}")
    if output == "json":
        _common.print_json(limit)
        return
    _common.print_details(
        [
            ("Tag", limit.tag),
            ("ID", str(limit.id)),
            ("Concurrency limit", str(limit.concurrency_limit)),
            ("Active slots", str(len(limit.active_slots))),
            ("Created", _common.format_time(limit.created)),
            ("Holders", describe_holders(holders)),
        ]
    )


@app.command("ls")
def ls(
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 15,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    output: OutputOption = None,
) -> None:
    """List tag concurrency limits.

    Example: praefect concurrency-limit ls
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        limits = client.read_concurrency_limits(limit=limit, offset=offset)
    _common.print_listing(
        limits,
        output,
        "No concurrency limits found.",
        ["Tag", "ID", "Concurrency limit", "Active task run IDs"],
        lambda x: [
            x.tag,
            str(x.id),
            str(x.concurrency_limit),
            ", ".join(str(i) for i in x.active_slots),
        ],
    )


@app.command("reset")
def reset(tag: TagArg) -> None:
    """Free every slot of a tag's limit (slots held by runs that no longer run).

    Example: praefect concurrency-limit reset database
    """
    with _common.sync_client() as client:
        _read(client, tag)
        client.reset_concurrency_limit_by_tag(tag)
    _common.console().print(f"Reset the concurrency limit of tag {tag!r}.", markup=False)


@app.command("delete")
def delete(
    tag: TagArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the limit of a tag.

    Example: praefect concurrency-limit delete database --yes
    """
    with _common.sync_client() as client:
        _read(client, tag)
        if not yes and not typer.confirm(f"Delete the concurrency limit of tag {tag!r}?"):
            _common.exit_with_error("Not deleted.")
        client.delete_concurrency_limit_by_tag(tag)
    _common.console().print(f"Deleted the concurrency limit of tag {tag!r}.", markup=False)
