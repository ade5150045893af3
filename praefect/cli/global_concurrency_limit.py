"""``praefect global-concurrency-limit`` (``gcl``): create, inspect, list, update, enable,
disable and delete global concurrency limits."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(
    name="global-concurrency-limit",
    help="Manage global concurrency limits (and rate limits).",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The limit's name.", show_default=False)]
LimitOption = Annotated[
    int | None,
    typer.Option("--limit", "-l", min=0, help="Most slots taken at once.", show_default=False),
]
ActiveSlotsOption = Annotated[
    int | None,
    typer.Option(
        "--active-slots", min=0, help="Free every slot, then take this many.", show_default=False
    ),
]
DecayOption = Annotated[
    float | None,
    typer.Option(
        "--slot-decay-per-second",
        min=0.0,
        help="Slots that free themselves each second (a rate limit).",
        show_default=False,
    ),
]


def _read(client: Any, name: str) -> Any:
    from praefect import exceptions

    try:
        return client.read_global_concurrency_limit_by_name(name)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(f"Global concurrency limit {name!r} not found.")


def _update(name: str, changes: dict[str, Any], done: str) -> None:
    from pydantic import ValidationError

    with _common.sync_client() as client:
        _read(client, name)
        try:
            client.update_global_concurrency_limit(name, changes)
        except (ValidationError, ValueError) as exc:
            _common.exit_with_error(f"Could not update global concurrency limit {name!r}: {exc}")
    _common.console().print(f"Global concurrency limit {name!r} {done}.", markup=False)


@app.command("create")
def create(
    name: NameArg,
    limit: Annotated[
        int, typer.Option("--limit", "-l", min=0, help="Most slots taken at once.")
    ] = 1,
    disable: Annotated[bool, typer.Option("--disable", help="Create it inactive.")] = False,
    active_slots: ActiveSlotsOption = None,
    slot_decay_per_second: DecayOption = None,
) -> None:
    """Create a global concurrency limit.

    Example: praefect gcl create database --limit 5
    """
    from pydantic import ValidationError

    from praefect import exceptions

    body: dict[str, Any] = {"name": name, "limit": limit, "active": not disable}
    if active_slots is not None:
        body["active_slots"] = active_slots
    if slot_decay_per_second is not None:
        body["slot_decay_per_second"] = slot_decay_per_second
    with _common.sync_client() as client:
        try:
            limit_id = client.create_global_concurrency_limit(body)
        except exceptions.ObjectAlreadyExists:
            _common.exit_with_error(
                f"Global concurrency limit {name!r} already exists; change it with"
                f" `praefect gcl update {name} --limit N`."
            )
        except (ValidationError, ValueError) as exc:
            _common.exit_with_error(f"Could not create global concurrency limit {name!r}: {exc}")
    _common.console().print(
        f"Created global concurrency limit {name!r} with limit {limit} ({limit_id}).",
        markup=False,
    )


@app.command("ls")
def ls(output: OutputOption = None) -> None:
    """List global concurrency limits (tag limits are the 'tag:...' ones).

    Example: praefect gcl ls
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        limits = client.read_global_concurrency_limits(limit=1000)
    _common.print_listing(
        limits,
        output,
        "No global concurrency limits found.",
        ["Name", "Limit", "Active slots", "Active", "Slot decay per second", "ID"],
        lambda x: [
            x.name,
            str(x.limit),
            str(x.active_slots),
            str(x.active),
            f"{x.slot_decay_per_second:g}",
            str(x.id),
        ],
    )


@app.command("inspect")
def inspect(name: NameArg, output: OutputOption = None) -> None:
    """Show a global concurrency limit and who holds its slots.

    Example: praefect gcl inspect database
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        limit = _read(client, name)
        holders = client.read_concurrency_limit_holders(name)
    if output == "json":
        data = _common.to_jsonable(limit)
        data["leases"] = _common.to_jsonable(holders)
        _common.print_json(data)
        return
    _common.print_details(
        [
            ("Name", limit.name),
            ("ID", str(limit.id)),
            ("Limit", str(limit.limit)),
            ("Active", str(limit.active)),
            ("Active slots", str(limit.active_slots)),
            ("Denied slots", str(limit.denied_slots)),
            ("Slot decay per second", f"{limit.slot_decay_per_second:g}"),
            ("Average slot occupancy", f"{limit.avg_slot_occupancy_seconds:.2f} s"),
            ("Created", _common.format_time(limit.created)),
            ("Updated", _common.format_time(limit.updated)),
            ("Holders", describe_holders(holders)),
        ]
    )


def describe_holders(holders: list[dict[str, Any]]) -> str:
    """One line per lease: its slots, holder, process and since when."""
    if not holders:
        return "none"
    lines = []
    for lease in holders:
        who = f"{lease['holder_type']} {lease['holder_id']}" if lease["holder_id"] else "-"
        lines.append(
            f"{lease['slots']} slot(s): {who} on {lease['owner'] or '?'} since"
            f" {_common.format_time(lease['acquired'])}, until"
            f" {_common.format_time(lease['expires'])}"
        )
    return "\n".join(lines)


@app.command("update")
def update(
    name: NameArg,
    limit: LimitOption = None,
    active_slots: ActiveSlotsOption = None,
    slot_decay_per_second: DecayOption = None,
    enable: Annotated[
        bool | None,
        typer.Option(
            "--enable/--disable", help="Make the limit active or not.", show_default=False
        ),
    ] = None,
) -> None:
    """Change a global concurrency limit.

    Example: praefect gcl update database --limit 10
    """
    changes: dict[str, Any] = {}
    for key, value in (
        ("limit", limit),
        ("active_slots", active_slots),
        ("slot_decay_per_second", slot_decay_per_second),
        ("active", enable),
    ):
        if value is not None:
            changes[key] = value
    if not changes:
        _common.exit_with_error(
            "Nothing to update: give --limit, --active-slots, --slot-decay-per-second,"
            " --enable or --disable."
        )
    _update(name, changes, "updated")


@app.command("enable")
def enable(name: NameArg) -> None:
    """Make a global concurrency limit active.

    Example: praefect gcl enable database
    """
    _update(name, {"active": True}, "enabled")


@app.command("disable")
def disable(name: NameArg) -> None:
    """Make a global concurrency limit inactive: it limits nothing until enabled.

    Example: praefect gcl disable database
    """
    _update(name, {"active": False}, "disabled")


@app.command("delete")
def delete(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a global concurrency limit and free its slots.

    Example: praefect gcl delete database --yes
    """
    with _common.sync_client() as client:
        _read(client, name)
        if not yes and not typer.confirm(f"Delete global concurrency limit {name!r}?"):
            _common.exit_with_error("Not deleted.")
        client.delete_global_concurrency_limit_by_name(name)
    _common.console().print(f"Deleted global concurrency limit {name!r}.", markup=False)
