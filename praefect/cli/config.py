"""``praefect config``: view the settings in force and change the active profile's."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from praefect.cli import _common, _profiles

app = typer.Typer(
    name="config",
    help="View settings and change them in the active profile.",
    no_args_is_help=True,
)

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@app.command("view")
def view(
    show_defaults: Annotated[
        bool,
        typer.Option(
            "--show-defaults/--hide-defaults", help="Also show settings left at defaults."
        ),
    ] = False,
    show_sources: Annotated[
        bool,
        typer.Option(
            "--show-sources/--hide-sources",
            help="Show where each value comes from: env, profile or defaults.",
        ),
    ] = True,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets/--hide-secrets", help="Show API keys and passwords.")
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Output format: json.", show_default=False)
    ] = None,
) -> None:
    """Show the settings in force: environment variables first, then the active profile.

    Example: praefect config view --show-defaults
    """
    output = _common.check_output_format(output)
    import dataclasses

    from praefect import exceptions, settings

    path, data = _profiles.load()
    profile = _profiles.current(data)
    try:
        values, sources = settings.resolve()
    except exceptions.ConfigurationError as exc:
        _common.exit_with_error(str(exc))
    defaults = settings.Settings()

    shown: dict[str, Any] = {}
    where: dict[str, str] = {}
    for field in dataclasses.fields(settings.Settings):
        name = _profiles.display_name(field.name)
        if field.name in values:
            value = values[field.name]
            kind, var = sources[field.name]
            where[name] = kind if var == name or kind == "profile" else f"{kind} {var}"
        elif show_defaults:
            value = getattr(defaults, field.name)
            where[name] = "defaults"
        else:
            continue
        shown[name] = _profiles.plain(_profiles.display_value(field.name, value, show_secrets))

    table = data["profiles"].get(profile, {})
    unknown = sorted(key for key in table if settings.field_for(str(key)) is None)
    if unknown:
        _common.err_console().print(
            f"Profile {profile!r} has settings praefect does not know (ignored): "
            f"{', '.join(unknown)}",
            style="yellow",
            soft_wrap=True,
        )

    if output == "json":
        record: dict[str, Any] = {
            "profile": profile,
            "profiles_path": str(path),
            "settings": shown,
        }
        if show_sources:
            record["sources"] = where
        _common.print_json(record)
        return
    lines = [f"PRAEFECT_PROFILE={profile!r}"]
    for name, value in shown.items():
        text = f"{name}={value!r}"
        if show_sources:
            text += f" (from {where[name]})"
        lines.append(text)
    _write_lines(lines)


@app.command("set")
def set_(
    settings_: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY=VALUE...",
            help="Settings to set, such as PRAEFECT_API_URL=http://127.0.0.1:4200/api.",
            show_default=False,
        ),
    ],
) -> None:
    """Set settings in the active profile (they apply where no environment variable is set).

    Example: praefect config set PRAEFECT_API_URL=http://127.0.0.1:4200/api PRAEFECT_LOGGING_LEVEL=DEBUG
    """
    from praefect import exceptions, settings

    changes: list[tuple[str, str, Any]] = []
    for item in settings_:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            _common.exit_with_error(
                f"Expected KEY=VALUE, got {item!r} (for example PRAEFECT_LOGGING_LEVEL=DEBUG)."
            )
        field = _profiles.check_setting_name(key)
        try:
            parsed = settings.parse_value(key, raw)
        except exceptions.ConfigurationError as exc:
            _common.exit_with_error(str(exc))
        _check_value(key, field, raw, parsed)
        stored: Any = parsed if isinstance(parsed, bool | int | float) else raw
        changes.append((key.upper(), field, stored))

    path, data = _profiles.load()
    profile = _profiles.current(data)
    if profile not in data["profiles"]:
        _profiles.require(data, profile)  # only the implicit default may be missing
    new_file = not path.exists()
    table = data["profiles"].setdefault(profile, {})
    for key, field, stored in changes:
        for existing in list(table):
            if settings.field_for(str(existing)) == field:
                del table[existing]
        table[key] = stored
    if new_file or not data.get("active"):
        data["active"] = data.get("active") or settings.DEFAULT_PROFILE
    _profiles.save(path, data)

    out = _common.console()
    for key, field, stored in changes:
        out.print(f"Set {key!r} to {_profiles.plain(stored)!r}.", soft_wrap=True, markup=False)
        _warn_if_overridden(key, field)
    out.print(f"Updated profile {profile!r}.", markup=False)


@app.command("unset")
def unset(
    names: Annotated[
        list[str],
        typer.Argument(metavar="KEY...", help="Settings to remove from the active profile."),
    ],
) -> None:
    """Remove settings from the active profile (they go back to their defaults).

    Example: praefect config unset PRAEFECT_API_URL
    """
    from praefect import settings

    path, data = _profiles.load()
    profile = _profiles.current(data)
    table = data["profiles"].get(profile, {})
    if profile not in data["profiles"]:
        _profiles.require(data, profile)
    removals: list[tuple[str, list[str]]] = []
    for name in names:
        upper = name.strip().upper()
        present = [k for k in table if str(k).upper() == upper]
        if not present:
            field = _profiles.check_setting_name(name)
            present = [k for k in table if settings.field_for(str(k)) == field]
        if not present:
            _common.exit_with_error(f"{upper} is not set in profile {profile!r}.")
        removals.append((upper, present))
    for _, keys in removals:
        for key in keys:
            table.pop(key, None)
    _profiles.save(path, data)
    out = _common.console()
    for name, _ in removals:
        out.print(f"Unset {name!r}.", markup=False)
    out.print(f"Updated profile {profile!r}.", markup=False)


def _check_value(key: str, field: str, raw: str, parsed: Any) -> None:
    """Checks beyond the type, for the settings a typo would silently break."""
    if field == "api_url" and parsed and not raw.startswith(("http://", "https://")):
        _common.exit_with_error(
            f"Setting {key}={raw!r} is not valid: expected an http:// or https:// URL such as "
            "http://127.0.0.1:4200/api."
        )
    if field == "logging_level" and raw.upper() not in _LOG_LEVELS and not raw.isdigit():
        _common.exit_with_error(
            f"Setting {key}={raw!r} is not valid: expected one of {', '.join(_LOG_LEVELS)}."
        )
    if field in ("server_port",) and not 0 <= parsed <= 65535:
        _common.exit_with_error(f"Setting {key}={raw!r} is not valid: expected a port number.")


def _warn_if_overridden(key: str, field: str) -> None:
    from praefect import settings

    for var in settings.setting_names(field):
        if var in os.environ:
            _common.warn(
                f"{var} is also set by an environment variable, which overrides the profile's "
                f"{key}."
            )
            return


def _write_lines(lines: list[str]) -> None:
    import sys

    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()
