"""``praefect events``: ``stream`` prints events as they happen, ``emit`` sends one (Prefect's
commands and options; ``praefect event`` is the same group)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from praefect.cli import _common

app = typer.Typer(name="events", help="Stream and emit events.", no_args_is_help=True)


class StreamFormat(StrEnum):
    """How ``stream`` prints an event."""

    json = "json"
    text = "text"


def _line(event: Any, fmt: StreamFormat) -> str:
    if fmt is StreamFormat.json:
        return str(event.model_dump_json())
    return f"{event.occurred.isoformat()} {event.event} {event.resource.id}"


@app.command()
def stream(
    format: Annotated[
        StreamFormat, typer.Option("--format", help="Print each event as JSON or as text.")
    ] = StreamFormat.json,
    output_file: Annotated[
        str | None,
        typer.Option("--output-file", help="Append the events to this file.", show_default=False),
    ] = None,
    run_once: Annotated[bool, typer.Option("--run-once", help="Stream only one event.")] = False,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="Only events whose name starts with this (repeatable).",
            show_default=False,
        ),
    ] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            help="Only events about this resource id, or related to it (repeatable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Subscribe to the event stream: the most recent events first, then each new one as it
    is stored, until interrupted (or after one, with --run-once).

    Example: praefect events stream --format text --event prefect.flow-run."""
    import asyncio

    from praefect.events import get_events_subscriber
    from praefect.events.filters import EventAnyResourceFilter, EventFilter, EventNameFilter

    criteria = EventFilter(
        event=EventNameFilter(prefix=event) if event else None,
        any_resource=EventAnyResourceFilter(id=resource) if resource else None,
    )

    async def run() -> None:
        _common.err_console().print("Subscribing to event stream...")
        async with get_events_subscriber(criteria) as subscriber:
            async for received in subscriber:
                line = _line(received, format)
                if output_file:
                    with open(output_file, "a") as handle:
                        handle.write(line + "\n")
                else:
                    print(line, flush=True)
                if run_once:
                    return

    with _common.sync_client():  # the server must be reachable before subscribing
        pass
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        _common.exit_with_error("Exiting...")
    except PermissionError as exc:
        _common.exit_with_error(f"Error writing to file: {exc}")


def _labels(text: str, what: str) -> dict[str, str]:
    """A resource given as JSON, or as ``key=value``."""
    if "=" in text and not text.lstrip().startswith("{"):
        key, _, value = text.partition("=")
        return {key.strip(): value.strip()}
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        _common.exit_with_error(f"{what} is not valid JSON: {exc}")
    if not isinstance(parsed, dict):
        _common.exit_with_error(f"{what} must be a JSON object, not {type(parsed).__name__}.")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in parsed.items()}


@app.command()
def emit(
    event: Annotated[str, typer.Argument(help="The event's name, like acme.order.shipped.")],
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            help="The resource's labels as JSON, or one as key=value (repeatable).",
            show_default=False,
        ),
    ] = None,
    resource_id: Annotated[
        str | None,
        typer.Option(
            "--resource-id",
            help="The resource id (short for --resource prefect.resource.id=<id>).",
            show_default=False,
        ),
    ] = None,
    related: Annotated[
        str | None,
        typer.Option("--related", help="Related resources as a JSON list.", show_default=False),
    ] = None,
    payload: Annotated[
        str | None,
        typer.Option("--payload", "-p", help="The payload as a JSON object.", show_default=False),
    ] = None,
) -> None:
    """Emit one event and wait until it is stored.

    Example: praefect events emit order.shipped --resource-id order-456 --payload '{"tracking": "AB1"}'"""
    from pydantic import ValidationError

    labels: dict[str, str] = {}
    for item in resource or ():
        labels.update(_labels(item, "--resource"))
    if resource_id:
        labels["prefect.resource.id"] = resource_id
    if not labels.get("prefect.resource.id"):
        _common.exit_with_error(
            "An event needs a resource id: give --resource-id, or --resource with "
            "'prefect.resource.id'."
        )
    related_list: Any = []
    if related:
        try:
            related_list = json.loads(related)
        except ValueError as exc:
            _common.exit_with_error(f"--related is not valid JSON: {exc}")
        if isinstance(related_list, dict):
            related_list = [related_list]
        if not isinstance(related_list, list):
            _common.exit_with_error("--related must be a JSON list of resources.")
    data: Any = {}
    if payload:
        try:
            data = json.loads(payload)
        except ValueError as exc:
            _common.exit_with_error(f"--payload is not valid JSON: {exc}")
        if not isinstance(data, dict):
            _common.exit_with_error("--payload must be a JSON object.")
    from praefect.client import get_orchestration_client
    from praefect.events import emit_event

    with _common.sync_client():
        try:
            emitted = emit_event(event, resource=labels, related=related_list, payload=data)
        except ValidationError as exc:
            _common.exit_with_error(f"Invalid event: {_common.input_error(exc)}")
        get_orchestration_client().flush()  # stored (or, over HTTP, acknowledged or spooled)
    assert emitted is not None
    _common.console().print(f"Emitted event {emitted.event!r} with id {emitted.id}.")
