"""Typed settings, read from ``PRAEFECT_*`` environment variables (``PREFECT_*`` as a fallback for
compatibility), then defaults. Library code reads them through ``get_current_settings()``.

Prefect-style setting objects are exposed too, each with ``.value()``::

    >>> from praefect.settings import PRAEFECT_API_URL, PREFECT_API_URL
    >>> PRAEFECT_API_URL.value() == PREFECT_API_URL.value()
    True
"""

from __future__ import annotations

import contextlib
import functools
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "PRAEFECT_API_KEY",
    "PRAEFECT_API_URL",
    "PRAEFECT_DATABASE_URL",
    "PRAEFECT_HOME",
    "PRAEFECT_LOGGING_LEVEL",
    "PREFECT_API_KEY",
    "PREFECT_API_URL",
    "PREFECT_HOME",
    "PREFECT_LOGGING_LEVEL",
    "Setting",
    "Settings",
    "get_current_settings",
    "temporary_settings",
]


def _env(name: str) -> Any:
    return Field(
        validation_alias=AliasChoices(f"PRAEFECT_{name}", f"PREFECT_{name}"),
    )


class Settings(BaseSettings):
    """All of praefect's settings. Each field is read from ``PRAEFECT_<NAME>`` and, when that is
    unset, from ``PREFECT_<NAME>``."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    home: Path = Field(Path("~/.praefect"), validation_alias=AliasChoices("PRAEFECT_HOME", "PREFECT_HOME"))
    """Where praefect keeps its database, profiles and local result storage."""

    api_url: str | None = Field(None, validation_alias=AliasChoices("PRAEFECT_API_URL", "PREFECT_API_URL"))
    """URL of a praefect server's API. Unset: the embedded store is used."""

    api_key: str | None = Field(None, validation_alias=AliasChoices("PRAEFECT_API_KEY", "PREFECT_API_KEY"))
    """API key sent as a bearer token to the server."""

    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "PRAEFECT_DATABASE_URL", "PREFECT_DATABASE_URL", "PREFECT_API_DATABASE_CONNECTION_URL"
        ),
    )
    """SQLAlchemy URL of the database. Default: SQLite at ``$PRAEFECT_HOME/praefect.db``."""

    database_timeout: float = Field(
        30.0, validation_alias=AliasChoices("PRAEFECT_DATABASE_TIMEOUT", "PREFECT_API_DATABASE_TIMEOUT")
    )
    """Seconds a writer waits for a busy database before giving up."""

    logging_level: str = Field(
        "INFO", validation_alias=AliasChoices("PRAEFECT_LOGGING_LEVEL", "PREFECT_LOGGING_LEVEL")
    )
    """Level of the console and stored run logs."""

    logging_to_api_enabled: bool = Field(
        True,
        validation_alias=AliasChoices(
            "PRAEFECT_LOGGING_TO_API_ENABLED", "PREFECT_LOGGING_TO_API_ENABLED"
        ),
    )
    """Whether run logs are persisted against their run."""

    logging_console: bool = Field(
        True, validation_alias=AliasChoices("PRAEFECT_LOGGING_CONSOLE", "PREFECT_LOGGING_CONSOLE")
    )
    """Whether run logs are printed to the console (stderr)."""

    tasks_default_retries: int = Field(
        0, validation_alias=AliasChoices("PRAEFECT_TASKS_DEFAULT_RETRIES", "PREFECT_TASKS_DEFAULT_RETRIES")
    )
    tasks_default_retry_delay_seconds: float = Field(
        0,
        validation_alias=AliasChoices(
            "PRAEFECT_TASKS_DEFAULT_RETRY_DELAY_SECONDS", "PREFECT_TASKS_DEFAULT_RETRY_DELAY_SECONDS"
        ),
    )
    flows_default_retries: int = Field(
        0, validation_alias=AliasChoices("PRAEFECT_FLOWS_DEFAULT_RETRIES", "PREFECT_FLOWS_DEFAULT_RETRIES")
    )
    results_persist_by_default: bool = Field(
        False,
        validation_alias=AliasChoices(
            "PRAEFECT_RESULTS_PERSIST_BY_DEFAULT", "PREFECT_RESULTS_PERSIST_BY_DEFAULT"
        ),
    )
    """Persist every task and flow result (see docs/results.md)."""

    local_storage_path: Path | None = Field(
        None,
        validation_alias=AliasChoices("PRAEFECT_LOCAL_STORAGE_PATH", "PREFECT_LOCAL_STORAGE_PATH"),
    )
    """Where results are stored by default. Default: ``$PRAEFECT_HOME/storage``."""

    heartbeat_seconds: float = Field(
        10.0,
        validation_alias=AliasChoices("PRAEFECT_HEARTBEAT_SECONDS", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"),
    )
    """How often a running flow run reports that its process is alive."""

    @functools.cached_property
    def home_path(self) -> Path:
        return self.home.expanduser()

    @functools.cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_path / 'praefect.db'}"

    @property
    def resolved_storage_path(self) -> Path:
        return (self.local_storage_path or self.home_path / "storage").expanduser()


_override: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "praefect_settings_override", default=None
)
_global_override: list[Settings] = []
_cached: Settings | None = None


def get_current_settings() -> Settings:
    """The settings in force: a ``temporary_settings`` override, else the environment (read once
    per process; call ``reload_settings()`` after changing the environment)."""
    override = _override.get()
    if override is not None:
        return override
    if _global_override:
        return _global_override[-1]
    global _cached
    if _cached is None:
        _cached = Settings()
    return _cached


def reload_settings() -> Settings:
    """Read the environment again (tests and the CLI call this after changing it)."""
    global _cached
    _cached = Settings()
    return _cached


@contextlib.contextmanager
def temporary_settings(
    updates: dict[Any, Any] | None = None, *, process_wide: bool = False
) -> Iterator[Settings]:
    """Override settings inside a block. Keys are ``Setting`` objects or field names.

    With ``process_wide=True`` the override is seen by every thread (the test harness uses it);
    otherwise only by the current context.
    """
    current = get_current_settings()
    changes = {}
    for key, value in (updates or {}).items():
        name = key.field if isinstance(key, Setting) else str(key)
        changes[name] = value
    new = current.model_copy(update=changes)
    if process_wide:
        _global_override.append(new)
        try:
            yield new
        finally:
            _global_override.remove(new)
    else:
        token = _override.set(new)
        try:
            yield new
        finally:
            _override.reset(token)


class Setting:
    """A named setting whose current value is read with ``.value()`` (Prefect's interface)."""

    __slots__ = ("name", "field")

    def __init__(self, name: str, field: str) -> None:
        self.name = name
        self.field = field

    def value(self) -> Any:
        return getattr(get_current_settings(), self.field)

    def __repr__(self) -> str:
        return f"<Setting {self.name}>"

    def __hash__(self) -> int:
        return hash(self.field)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Setting) and other.field == self.field


def __getattr__(name: str) -> Setting:
    """``PRAEFECT_<FIELD>`` and ``PREFECT_<FIELD>`` resolve to a ``Setting`` for any field."""
    for prefix in ("PRAEFECT_", "PREFECT_"):
        if name.startswith(prefix):
            field = name[len(prefix) :].lower()
            if field in Settings.model_fields:
                setting = Setting(name, field)
                globals()[name] = setting
                return setting
    raise AttributeError(f"module 'praefect.settings' has no attribute {name!r}")


PRAEFECT_API_URL = Setting("PRAEFECT_API_URL", "api_url")
PREFECT_API_URL = Setting("PREFECT_API_URL", "api_url")
PRAEFECT_API_KEY = Setting("PRAEFECT_API_KEY", "api_key")
PREFECT_API_KEY = Setting("PREFECT_API_KEY", "api_key")
PRAEFECT_HOME = Setting("PRAEFECT_HOME", "home")
PREFECT_HOME = Setting("PREFECT_HOME", "home")
PRAEFECT_DATABASE_URL = Setting("PRAEFECT_DATABASE_URL", "database_url")
PRAEFECT_LOGGING_LEVEL = Setting("PRAEFECT_LOGGING_LEVEL", "logging_level")
PREFECT_LOGGING_LEVEL = Setting("PREFECT_LOGGING_LEVEL", "logging_level")
