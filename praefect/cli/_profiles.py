"""Reading and writing ``$PRAEFECT_HOME/profiles.toml`` for ``praefect config`` and ``profile``."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from praefect.cli import _common

SECRET_FIELDS = frozenset(
    {"api_key", "api_auth_string", "server_api_auth_string", "server_api_keys"}
)
"""Settings whose values are hidden unless ``--show-secrets``."""


def load() -> tuple[Path, dict[str, Any]]:
    """The profiles file and its content (``{"active": ..., "profiles": {...}}``; empty when
    there is no file); an unreadable file exits with a clear error."""
    from praefect import exceptions, settings

    path = settings.current_profiles_path()
    try:
        data = settings.read_profiles(path)
    except exceptions.ConfigurationError as exc:
        _common.exit_with_error(str(exc))
    return path, data or {"active": None, "profiles": {}}


def save(path: Path, data: dict[str, Any]) -> None:
    from praefect import settings

    try:
        settings.write_profiles(path, data)
    except OSError as exc:
        _common.exit_with_error(f"Cannot write the profiles file {path}: {exc}")


def current(data: dict[str, Any]) -> str:
    """The profile in force (``--profile``/``PRAEFECT_PROFILE``, else the file's ``active``)."""
    from praefect import settings

    return settings.active_profile(data)


def names(data: dict[str, Any]) -> list[str]:
    """Every profile: the file's, plus ``default`` while it is in force (it needs no table)."""
    from praefect import settings

    found = list(data["profiles"])
    if settings.DEFAULT_PROFILE not in found and current(data) == settings.DEFAULT_PROFILE:
        found.insert(0, settings.DEFAULT_PROFILE)
    return found


def require(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The table of profile ``name`` (the implicit ``default`` is empty), or a clear error."""
    from praefect import settings

    if name in data["profiles"]:
        return data["profiles"][name]
    if name == settings.DEFAULT_PROFILE:
        return {}
    known = names(data)
    hint = difflib.get_close_matches(name, known, n=3)
    message = f"Profile {name!r} not found."
    if hint:
        message += f" Did you mean {', '.join(repr(h) for h in hint)}?"
    message += f" Profiles: {', '.join(known) or 'none'}."
    _common.exit_with_error(message)


def known_setting_names() -> list[str]:
    """Every accepted setting name (both spellings and the Prefect aliases)."""
    import dataclasses

    from praefect import settings

    out: list[str] = []
    for field in dataclasses.fields(settings.Settings):
        out.extend(settings.setting_names(field.name))
    return out


def check_setting_name(name: str) -> str:
    """The field a setting name refers to, or exit with close matches."""
    from praefect import settings

    field = settings.field_for(name)
    if field is not None:
        return field
    candidates = known_setting_names()
    upper = name.strip().upper()
    matches = difflib.get_close_matches(upper, candidates, n=3, cutoff=0.6)
    if not matches and not upper.startswith(("PRAEFECT_", "PREFECT_")):
        matches = difflib.get_close_matches(f"PRAEFECT_{upper}", candidates, n=3, cutoff=0.6)
    message = f"Unknown setting {name!r}."
    if matches:
        message += f" Did you mean: {', '.join(matches)}?"
    message += " `praefect config view --show-defaults` lists every setting."
    _common.exit_with_error(message)


def display_name(field: str) -> str:
    return f"PRAEFECT_{field.upper()}"


def display_value(field: str, value: Any, show_secrets: bool) -> Any:
    """A setting's value for display: secrets masked, a database password hidden."""
    if value is None or show_secrets:
        return value
    if field in SECRET_FIELDS:
        return "********"
    if field == "database_url" and isinstance(value, str):
        from praefect.cli.version import _hide_password

        return _hide_password(value)
    return value


def plain(value: Any) -> Any:
    """A setting value as JSON/TOML data (paths as strings)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value
