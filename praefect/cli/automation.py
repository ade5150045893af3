"""``praefect automation``: list, inspect, create (from a YAML or JSON file), update, pause,
resume and delete automations (Prefect's commands and options)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="automation", help="Manage automations.", no_args_is_help=True)

NameArg = Annotated[
    str | None,
    typer.Argument(help="The automation's name (or its id, with --id).", show_default=False),
]
IdOption = Annotated[
    str | None, typer.Option("--id", help="The automation's id.", show_default=False)
]


def _find(client: Any, name: str | None, automation_id: str | None) -> Any:
    """The automation called ``name`` or with ``automation_id``; exits when there is none."""
    if automation_id is not None:
        found = client.read_automation(_common.parse_id(automation_id, "automation id"))
        if found is None:
            _common.exit_with_error(f"Automation with id {automation_id!r} not found.")
        return found
    if not name:
        _common.exit_with_error("Name an automation, or give --id.")
    named = client.read_automations_by_name(name)
    if not named:
        _common.exit_with_error(f"Automation {name!r} not found.")
    if len(named) > 1:
        ids = ", ".join(str(a.id) for a in named)
        _common.exit_with_error(f"{len(named)} automations are called {name!r} ({ids}); use --id.")
    return named[0]


def _load(path: Path | None, text: str | None) -> list[dict[str, Any]]:
    """The automations of a YAML or JSON file (one, a list, or ``{"automations": [...]}``)."""
    if (path is None) == (text is None):
        _common.exit_with_error("Give exactly one of --from-file and --from-json.")
    try:
        if path is not None:
            raw = path.read_text()
            if path.suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(raw)
            else:
                data = json.loads(raw)
        else:
            data = json.loads(text or "")
    except FileNotFoundError:
        _common.exit_with_error(f"File {str(path)!r} not found.")
    except ValueError as exc:
        _common.exit_with_error(f"Could not read the automation: {exc}")
    if isinstance(data, dict) and "automations" in data:
        data = data["automations"]
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        _common.exit_with_error("An automation is a mapping with name, trigger and actions.")
    return items


def _validated(item: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from praefect.schemas.automations import AutomationCore

    try:
        return AutomationCore.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        _common.exit_with_error(f"Invalid automation {item.get('name', '')!r}: {problems}")


FromFile = Annotated[
    Path | None,
    typer.Option("--from-file", "-f", help="A YAML or JSON file.", show_default=False),
]
FromJson = Annotated[
    str | None,
    typer.Option("--from-json", "-j", help="The automation as JSON text.", show_default=False),
]


@app.command("ls")
def ls(output: OutputOption = None) -> None:
    """List automations.

    Example: praefect automation ls
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        automations = client.read_automations()
    _common.print_listing(
        automations,
        output,
        "No automations found.",
        ["Name", "ID", "Enabled", "Trigger", "Actions"],
        lambda a: [
            a.name,
            str(a.id),
            str(a.enabled),
            a.trigger.describe_for_cli(),
            "\n".join(action.describe_for_cli() for action in a.actions),
        ],
    )


@app.command("inspect")
def inspect(
    name: NameArg = None,
    automation_id: IdOption = None,
    output: OutputOption = None,
    as_yaml: Annotated[bool, typer.Option("--yaml", help="Print YAML.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an automation.

    Example: praefect automation inspect report-after-extract --json
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        found = _find(client, name, automation_id)
    data = found.model_dump(mode="json")
    if as_yaml:
        import yaml

        _common.console().print(yaml.safe_dump(data, sort_keys=False), markup=False)
        return
    if as_json or output == "json":
        _common.print_json(data)
        return
    _common.print_details(
        [
            ("Name", found.name),
            ("ID", str(found.id)),
            ("Enabled", str(found.enabled)),
            ("Description", found.description or ""),
            ("Trigger", found.trigger.describe_for_cli()),
            ("Actions", "\n".join(a.describe_for_cli() for a in found.actions)),
        ]
    )


@app.command("create")
def create(from_file: FromFile = None, from_json: FromJson = None) -> None:
    """Create automations from a YAML or JSON file (one, or a list).

    Example: praefect automation create --from-file automation.yaml
    """
    cores = [_validated(item) for item in _load(from_file, from_json)]
    with _common.sync_client() as client:
        for core in cores:
            try:
                created = client.create_automation(core)
            except ValueError as exc:
                _common.exit_with_error(f"Automation {core.name!r} not created: {exc}")
            _common.console().print(f"Created automation {core.name!r} ({created}).", markup=False)


@app.command("update")
def update(
    automation_id: Annotated[str, typer.Option("--id", help="The automation's id.")],
    from_file: FromFile = None,
    from_json: FromJson = None,
) -> None:
    """Replace an automation with the one in a YAML or JSON file.

    Example: praefect automation update --id 0b7c... --from-file automation.yaml
    """
    items = _load(from_file, from_json)
    if len(items) != 1:
        _common.exit_with_error(f"The file holds {len(items)} automations; update takes one.")
    core = _validated(items[0])
    target = _common.parse_id(automation_id, "automation id")
    from praefect import exceptions

    with _common.sync_client() as client:
        try:
            client.update_automation(target, core)
        except exceptions.ObjectNotFound:
            _common.exit_with_error(f"Automation with id {automation_id!r} not found.")
        except ValueError as exc:
            _common.exit_with_error(f"Automation not updated: {exc}")
    _common.console().print(f"Updated automation {core.name!r} ({target}).", markup=False)


def _set_enabled(name: str | None, automation_id: str | None, enabled: bool) -> None:
    with _common.sync_client() as client:
        found = _find(client, name, automation_id)
        (client.resume_automation if enabled else client.pause_automation)(found.id)
    word = "resumed" if enabled else "paused"
    _common.console().print(f"Automation {found.name!r} ({found.id}) {word}.", markup=False)


@app.command("pause")
def pause(name: NameArg = None, automation_id: IdOption = None) -> None:
    """Pause (disable) an automation: it counts no events until resumed.

    Example: praefect automation pause report-after-extract
    """
    _set_enabled(name, automation_id, False)


@app.command("resume")
def resume(name: NameArg = None, automation_id: IdOption = None) -> None:
    """Resume (enable) an automation.

    Example: praefect automation resume report-after-extract
    """
    _set_enabled(name, automation_id, True)


app.command("disable", hidden=True)(pause)
app.command("enable", hidden=True)(resume)


@app.command("delete")
def delete(
    name: NameArg = None,
    automation_id: IdOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an automation.

    Example: praefect automation delete report-after-extract --yes
    """
    with _common.sync_client() as client:
        found = _find(client, name, automation_id)
        if not yes and not typer.confirm(f"Delete automation {found.name!r}?", default=False):
            _common.exit_with_error("Not deleted.")
        client.delete_automation(found.id)
    _common.console().print(f"Deleted automation {found.name!r} ({found.id}).", markup=False)
