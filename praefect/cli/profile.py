"""``praefect profile``: named sets of settings in ``$PRAEFECT_HOME/profiles.toml``."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from praefect.cli import _common, _profiles
from praefect.cli._common import OutputOption

app = typer.Typer(
    name="profile",
    help="Create, select and inspect profiles (named sets of settings).",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The profile's name.", show_default=False)]


@app.command("ls")
def ls(output: OutputOption = None) -> None:
    """List the profiles; the one in force is marked with *.

    Example: praefect profile ls
    """
    output = _common.check_output_format(output)
    _, data = _profiles.load()
    active = _profiles.current(data)
    found = _profiles.names(data)
    if output == "json":
        _common.print_json([{"name": name, "active": name == active} for name in found])
        return
    lines = [f"{'*' if name == active else ' '} {name}\n" for name in found]
    import sys

    sys.stdout.write("".join(lines))
    sys.stdout.flush()


@app.command("create")
def create(
    name: NameArgument,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Copy the settings of this profile.", show_default=False),
    ] = None,
) -> None:
    """Create a profile (empty, or a copy of another with --from).

    Example: praefect profile create remote --from default
    """
    from praefect import settings

    name = name.strip()
    if not name or any(c.isspace() or c in "[]" for c in name):
        _common.exit_with_error(f"Invalid profile name {name!r}: use letters, digits, - and _.")
    path, data = _profiles.load()
    if name in _profiles.names(data):
        _common.exit_with_error(
            f"Profile {name!r} already exists. Switch to it with `praefect profile use {name}`, "
            f"or remove it first with `praefect profile delete {name}`."
        )
    source = dict(_profiles.require(data, from_)) if from_ is not None else {}
    if not data.get("active"):
        data["active"] = settings.DEFAULT_PROFILE
        data["profiles"].setdefault(settings.DEFAULT_PROFILE, {})
    data["profiles"][name] = source
    _profiles.save(path, data)
    out = _common.console()
    copied = f" from {from_!r}" if from_ is not None else ""
    out.print(f"Created profile {name!r}{copied}.", markup=False)
    out.print(f"Switch to it with: praefect profile use {name}", markup=False, soft_wrap=True)
    out.print(
        f"Or use it for one command: praefect --profile {name} config view",
        markup=False,
        soft_wrap=True,
    )


@app.command("use")
def use(name: NameArgument) -> None:
    """Make a profile the active one (PRAEFECT_PROFILE, when set, still wins).

    Example: praefect profile use remote
    """
    from praefect import settings

    path, data = _profiles.load()
    table = _profiles.require(data, name)
    if name not in data["profiles"]:
        data["profiles"][name] = {}
    data["active"] = name
    _profiles.save(path, data)
    out = _common.console()
    out.print(f"Now using profile {name!r}.", markup=False)
    env_profile = settings.selected_profile()
    if env_profile and env_profile != name:
        _common.warn(
            f"PRAEFECT_PROFILE={env_profile} is set in this shell and overrides the active "
            "profile until it is unset."
        )
    api_url = next((v for k, v in table.items() if settings.field_for(str(k)) == "api_url"), None)
    if api_url:
        _report_connection(str(api_url))


@app.command("delete")
def delete(
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a profile (not the active one).

    Example: praefect profile delete old --yes
    """
    path, data = _profiles.load()
    if name not in data["profiles"]:
        _profiles.require(data, name)
        _common.exit_with_error(f"Profile {name!r} has no settings to delete.")
    if name in (_profiles.current(data), data.get("active")):
        _common.exit_with_error(
            f"Profile {name!r} is the active profile; switch to another one first "
            "(praefect profile use OTHER)."
        )
    _common.confirm_or_exit(f"Delete profile {name!r}?", yes)
    del data["profiles"][name]
    _profiles.save(path, data)
    _common.console().print(f"Deleted profile {name!r}.", markup=False)


@app.command("inspect")
def inspect(
    name: Annotated[
        str | None,
        typer.Argument(help="The profile's name (default: the active one).", show_default=False),
    ] = None,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets/--hide-secrets", help="Show API keys and passwords.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Show the settings a profile sets (the active one by default).

    Example: praefect profile inspect remote
    """
    output = _common.check_output_format(output)
    from praefect import settings

    _, data = _profiles.load()
    name = name if name is not None else _profiles.current(data)
    table = _profiles.require(data, name)
    shown: dict[str, Any] = {}
    for key, value in table.items():
        field = settings.field_for(str(key))
        shown[str(key)] = (
            value if field is None else _profiles.display_value(field, value, show_secrets)
        )
    if output == "json":
        _common.print_json(shown)
        return
    if not shown:
        _common.console().print(f"Profile {name!r} is empty.", markup=False)
        return
    import sys

    sys.stdout.write("".join(f"{key}={value!r}\n" for key, value in shown.items()))
    sys.stdout.flush()


def _report_connection(api_url: str) -> None:
    """Say whether the profile's server answers (a warning only: the profile is set anyway)."""
    import httpx

    url = api_url.rstrip("/") + "/health"
    timeout = float(os.environ.get("PRAEFECT_CLI_HEALTH_TIMEOUT", "2"))
    try:
        response = httpx.get(url, timeout=timeout)
        ok = response.status_code < 400
        problem = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        ok, problem = False, f"{type(exc).__name__}: {exc}"
    if ok:
        _common.console().print(f"Connected to the praefect server at {api_url}.", markup=False)
    else:
        _common.warn(
            f"The server at {api_url} did not answer ({problem}); runs cannot be recorded "
            "until it does."
        )
