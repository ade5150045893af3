"""Typed settings, read from ``PRAEFECT_*`` environment variables (``PREFECT_*`` as a fallback for
compatibility), then defaults. Library code reads them through ``get_current_settings()``.

Prefect-style setting objects are exposed too, each with ``.value()``::

    >>> from praefect.settings import PRAEFECT_API_URL, PREFECT_API_URL
    >>> PRAEFECT_API_URL.value() == PREFECT_API_URL.value()
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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
    "reload_settings",
    "temporary_settings",
]

_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


def _env_names(name: str) -> tuple[str, ...]:
    return (f"PRAEFECT_{name.upper()}", f"PREFECT_{name.upper()}")


@dataclasses.dataclass(frozen=True)
class Settings:
    """All of praefect's settings. Each field is read from ``PRAEFECT_<NAME>`` and, when that is
    unset, from ``PREFECT_<NAME>`` (a few Prefect-only spellings are read too, see
    ``_EXTRA_ALIASES``).

    Plain dataclass, not pydantic-settings: reading settings is on the path of every fresh
    process, and pydantic-settings alone costs ~0.1 s of import there.
    """

    home: Path = Path("~/.praefect")
    """Where praefect keeps its database, profiles and local result storage."""
    api_url: str | None = None
    """URL of a praefect server's API. Unset: the embedded store is used."""
    api_key: str | None = None
    """API key sent as a bearer token to the server."""
    database_url: str | None = None
    """SQLAlchemy URL of the database. Default: SQLite at ``$PRAEFECT_HOME/praefect.db``."""
    database_timeout: float = 30.0
    """Seconds a writer waits for a busy database before giving up."""
    logging_level: str = "INFO"
    """Level of the console and stored run logs."""
    logging_to_api_enabled: bool = True
    """Whether run logs are persisted against their run."""
    logging_console: bool = True
    """Whether run logs are printed to the console (stderr)."""
    tasks_default_retries: int = 0
    """Retries of a task that does not set ``retries``."""
    tasks_default_retry_delay_seconds: float = 0.0
    """Retry delay of a task that does not set ``retry_delay_seconds``."""
    flows_default_retries: int = 0
    """Retries of a flow that does not set ``retries``."""
    results_persist_by_default: bool = False
    """Persist every task and flow result (see docs/results.md)."""
    local_storage_path: Path | None = None
    """Where results are stored by default. Default: ``$PRAEFECT_HOME/storage``."""
    heartbeat_seconds: float = 10.0
    """How often a running flow run reports that its process is alive."""
    api_auth_string: str | None = None
    """``user:password`` sent as HTTP basic auth to the server (when no ``api_key`` is set)."""
    api_request_timeout: float = 60.0
    """Seconds one HTTP request to the server may take before it counts as failed."""
    client_retry_seconds: float = 30.0
    """How long a synchronous call to the server (creating a flow run, changing its state) keeps
    retrying connection errors, 5xx and 429 before it fails."""
    client_spool_max_mb: float = 256.0
    """Most megabytes of unacknowledged run records kept in ``$PRAEFECT_HOME/spool`` while the
    server is unreachable; past it, new records are dropped (with an error)."""
    server_host: str = "127.0.0.1"
    """Address ``praefect server start`` listens on."""
    server_port: int = 4200
    """Port ``praefect server start`` listens on."""
    server_api_auth_string: str | None = None
    """``user:password``: the server then requires HTTP basic auth on every route but
    ``/api/health`` (clients send the same string as ``PRAEFECT_API_AUTH_STRING``)."""
    server_api_keys: str | None = None
    """Comma-separated API keys the server accepts as ``Authorization: Bearer <key>`` (clients
    send theirs as ``PRAEFECT_API_KEY``); with none set and no auth string, the API is open."""
    server_cors_allowed_origins: str = "*"
    """Comma-separated origins allowed to call the API from a browser (``*``: any)."""
    server_cors_allowed_methods: str = "*"
    """Comma-separated HTTP methods allowed in cross-origin requests."""
    server_cors_allowed_headers: str = "*"
    """Comma-separated headers allowed in cross-origin requests."""
    server_max_body_bytes: int = 32 * 1024 * 1024
    """Largest request body the server accepts; larger ones get 413."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables; a value that does not parse raises
        ``ConfigurationError`` naming the variable and the expected type."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            for var in _env_names(field.name) + _EXTRA_ALIASES.get(field.name, ()):
                raw = env.get(var)
                if raw is not None:
                    values[field.name] = _parse(var, raw, field.type)
                    break
        return cls(**values)

    def model_copy(self, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with some fields changed (pydantic's spelling, kept for familiarity)."""
        changes = dict(update or {})
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"Unknown setting(s) {sorted(unknown)}.")
        for name, value in changes.items():
            hint = next(f.type for f in dataclasses.fields(self) if f.name == name)
            if isinstance(value, str):
                changes[name] = _parse(name, value, hint)
            elif value is not None and "Path" in str(hint) and not isinstance(value, Path):
                changes[name] = Path(value)
        return dataclasses.replace(self, **changes)

    def model_dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @functools.cached_property
    def home_path(self) -> Path:
        return Path(self.home or "~/.praefect").expanduser()  # an empty PRAEFECT_HOME: default

    @functools.cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_path / 'praefect.db'}"

    @property
    def resolved_storage_path(self) -> Path:
        return Path(self.local_storage_path or self.home_path / "storage").expanduser()


_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "database_url": ("PREFECT_API_DATABASE_CONNECTION_URL",),
    "database_timeout": ("PREFECT_API_DATABASE_TIMEOUT",),
    "heartbeat_seconds": ("PREFECT_RUNNER_HEARTBEAT_FREQUENCY",),
}


def _parse(var: str, raw: str, hint: Any) -> Any:
    hint = str(hint)
    try:
        if hint.startswith("bool"):
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        if hint.startswith("int"):
            return int(raw)
        if hint.startswith("float"):
            return float(raw)
        if "Path" in hint:
            return Path(raw) if raw else None
        return raw or None if "None" in hint else raw
    except ValueError:
        from praefect.exceptions import ConfigurationError

        expected = hint.split(" ")[0].split("|")[0]
        raise ConfigurationError(
            f"Setting {var}={raw!r} is not valid: expected a value of type {expected}."
        ) from None


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
        _cached = Settings.from_environment()
    return _cached


def reload_settings() -> Settings:
    """Read the environment again (tests and the CLI call this after changing it)."""
    global _cached
    _cached = Settings.from_environment()
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
            if field in {f.name for f in dataclasses.fields(Settings)}:
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
