"""Typed settings, read from ``PRAEFECT_*`` environment variables (``PREFECT_*`` as a fallback for
compatibility), then the active profile of ``$PRAEFECT_HOME/profiles.toml``, then defaults. Library
code reads them through ``get_current_settings()``.

The profiles file has Prefect's format: ``active = "default"`` and one ``[profiles.<name>]`` table
of setting names (``PRAEFECT_API_URL`` or ``PREFECT_API_URL``) to values per profile. The
``PRAEFECT_PROFILE`` (or ``PREFECT_PROFILE``) environment variable selects another profile than
the file's ``active`` one. The file is parsed only when it exists.

Prefect-style setting objects are exposed too, each with ``.value()``::

    >>> from praefect.settings import PRAEFECT_API_URL, PREFECT_API_URL
    >>> PRAEFECT_API_URL.value() == PREFECT_API_URL.value()
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as _dt
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
    """Seconds a writer waits for a busy database before giving up (on PostgreSQL also the
    connect timeout)."""
    database_pool_size: int = 8
    """Connections each process keeps open to the database (SQLite files and PostgreSQL)."""
    database_max_overflow: int = 16
    """Connections a process may open beyond ``database_pool_size`` under load."""
    database_pool_timeout: float = 30.0
    """Seconds to wait for a free pooled connection before failing."""
    database_pool_recycle: int = 3600
    """Seconds after which a pooled connection is replaced (guards against server-side idle
    timeouts; -1: never)."""
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
    client_retry_seconds: float = 90.0
    """How long a synchronous call to the server (creating a flow run, changing its state) keeps
    retrying connection errors, 5xx and 429 before it fails (long enough for a database restart
    of a minute: the server answers 503 meanwhile)."""
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
    server_cors_allowed_origins: str = ""
    """Comma-separated origins of web pages allowed to call the API from a browser, besides the
    server's own (``*``: any page; see docs/security.md). Default: none."""
    server_cors_allowed_methods: str = "*"
    """Comma-separated HTTP methods allowed in cross-origin requests."""
    server_cors_allowed_headers: str = "*"
    """Comma-separated headers allowed in cross-origin requests."""
    server_allowed_hosts: str = ""
    """Comma-separated host names the server answers to besides loopback names and the address
    it listens on, which are all a server on a loopback address answers to (DNS rebinding; see
    docs/security.md). Listing names turns the check on for any listening address; ``*``: off."""
    server_max_body_bytes: int = 32 * 1024 * 1024
    """Largest request body the server accepts; larger ones get 413."""
    # -- workers and runners (``praefect worker start``, ``flow.serve()``)
    worker_query_seconds: float = 0.5
    """How often a worker asks its work pool for Scheduled runs (Prefect's default is 10 s;
    a short interval is what keeps submit-to-running latency under a second)."""
    worker_prefetch_seconds: float = 10.0
    """A worker takes runs scheduled up to this many seconds ahead (they wait in their process
    for their time)."""
    worker_heartbeat_seconds: float = 30.0
    """How often a worker tells the server it is alive (it is OFFLINE after three missed)."""
    worker_kill_grace_seconds: float = 10.0
    """When a run is cancelled, seconds between SIGTERM and SIGKILL to its process."""
    runner_poll_seconds: float = 0.5
    """How often ``flow.serve()`` / ``praefect.serve()`` asks for the Scheduled runs of its
    deployments."""
    runner_process_limit: int = 5
    """Most flow runs ``flow.serve()`` / ``praefect.serve()`` runs at once."""

    # -- server services: scheduler, late runs, crashed runs ---------------------------------
    server_services_scheduler_enabled: bool = True
    """Whether ``praefect server start`` runs the scheduler (``--no-scheduler`` turns it off)."""
    server_services_scheduler_loop_seconds: float = 60.0
    """Seconds between two passes of the scheduler over every deployment."""
    server_services_scheduler_recent_deployments_loop_seconds: float = 5.0
    """Seconds between two quick passes over the deployments changed since the last one (so a
    new deployment gets its runs within seconds)."""
    server_services_scheduler_min_runs: int = 3
    """The fewest future runs the scheduler keeps per schedule."""
    server_services_scheduler_max_runs: int = 100
    """The most future runs the scheduler keeps per schedule (a schedule's
    ``max_scheduled_runs`` overrides it)."""
    server_services_scheduler_min_scheduled_time: float = 3600.0
    """Seconds ahead the scheduler always covers (beyond ``min_runs``)."""
    server_services_scheduler_max_scheduled_time: float = 100 * 86400.0
    """Seconds ahead the scheduler never goes past."""
    server_services_scheduler_catch_up: str = "latest"
    """What the scheduler does with times it missed while down: ``latest`` (create the most
    recent missed run), ``all`` (create every missed run) or ``none`` (skip them)."""
    server_services_scheduler_catch_up_window_seconds: float = 3600.0
    """Missed times older than this many seconds are never caught up."""
    server_services_late_runs_enabled: bool = True
    """Whether ``praefect server start`` marks overdue Scheduled runs Late."""
    server_services_late_runs_loop_seconds: float = 5.0
    """Seconds between two passes of the late-runs check."""
    server_services_late_runs_after_seconds: float = 15.0
    """A Scheduled run this many seconds past its time becomes Late."""
    server_services_late_runs_max_lateness_seconds: float | None = None
    """A Scheduled or Late run still waiting this many seconds past its time is Cancelled, its
    message saying why it waited (unset: runs wait for as long as it takes)."""
    server_services_crashed_runs_enabled: bool = True
    """Whether ``praefect server start`` marks Crashed the runs whose process stopped
    heartbeating."""
    server_services_crashed_runs_loop_seconds: float = 5.0
    """Seconds between two passes of the crashed-runs check."""
    server_services_crashed_runs_after_seconds: float = 20.0
    """A Running (or Cancelling) run with no heartbeat for this many seconds is Crashed (two
    missed heartbeats at the default ``PRAEFECT_HEARTBEAT_SECONDS`` of 10)."""
    server_services_triggers_enabled: bool = True
    """Whether ``praefect server start`` evaluates proactive automation triggers on a timer
    (reactive ones are evaluated as each event is stored, service or not)."""
    server_services_triggers_loop_seconds: float = 5.0
    """Seconds between two passes over the proactive triggers."""
    server_services_actions_enabled: bool = True
    """Whether ``praefect server start`` runs the automation actions that are due (retries,
    and actions queued by processes that have exited)."""
    server_services_actions_loop_seconds: float = 1.0
    """Seconds between two passes of the automation actions runner."""
    server_services_event_retention_enabled: bool = True
    """Whether ``praefect server start`` deletes the events older than
    ``events_retention_period``."""
    server_services_event_retention_loop_seconds: float = 3600.0
    """Seconds between two passes of the event retention service."""
    events_retention_period: float = 7 * 86400.0
    """Seconds an event is kept (by when it occurred); older ones are deleted in batches by the
    event retention service (Prefect's ``PREFECT_EVENTS_RETENTION_PERIOD``, 7 days)."""
    server_services_pause_expirations_enabled: bool = True
    """Whether ``praefect server start`` fails the paused runs whose pause timed out."""
    server_services_pause_expirations_loop_seconds: float = 5.0
    """Seconds between two passes of the pause expiry check."""

    def __post_init__(self) -> None:
        if self.api_url is not None:
            check_api_url(self.api_url)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables; a value that does not parse raises
        ``ConfigurationError`` naming the variable and the expected type."""
        return cls(**resolve(environ)[0])

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
    "database_pool_size": (
        "PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE",
        "PREFECT_SQLALCHEMY_POOL_SIZE",
    ),
    "database_max_overflow": (
        "PREFECT_SERVER_DATABASE_SQLALCHEMY_MAX_OVERFLOW",
        "PREFECT_SQLALCHEMY_MAX_OVERFLOW",
    ),
    "database_pool_timeout": ("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_TIMEOUT",),
    "database_pool_recycle": ("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_RECYCLE",),
    "heartbeat_seconds": ("PREFECT_RUNNER_HEARTBEAT_FREQUENCY",),
    "events_retention_period": ("PREFECT_SERVER_EVENTS_RETENTION_PERIOD",),
    "runner_poll_seconds": ("PREFECT_RUNNER_POLL_FREQUENCY",),
}


def check_api_url(url: str) -> None:
    """Refuse an API URL that cannot be one (no ``http://`` or ``https://``, no host) at once,
    instead of letting a client retry it for its whole budget.

    >>> check_api_url("http://127.0.0.1:4200/api")  # fine; "127.0.0.1:4200/api" raises
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in ("http", "https") and rest.split("/", 1)[0]:
        return
    from praefect.exceptions import ConfigurationError

    raise ConfigurationError(
        f"PRAEFECT_API_URL={url!r} is not a URL: expected http:// or https://, a host and "
        f"/api, such as http://127.0.0.1:4200/api."
    )


def setting_names(field: str) -> tuple[str, ...]:
    """The names a setting is known by, preferred first: ``("PRAEFECT_API_URL",
    "PREFECT_API_URL")`` for ``api_url`` (plus Prefect-only aliases for a few)."""
    return _env_names(field) + _EXTRA_ALIASES.get(field, ())


def field_for(name: str) -> str | None:
    """The ``Settings`` field a setting name (any spelling, any case) refers to, or None."""
    upper = name.strip().upper()
    for prefix in ("PRAEFECT_", "PREFECT_"):
        if upper.startswith(prefix) and upper[len(prefix) :].lower() in _field_types():
            return upper[len(prefix) :].lower()
    for field, aliases in _EXTRA_ALIASES.items():
        if upper in aliases:
            return field
    return None


def parse_value(name: str, raw: object) -> Any:
    """``raw`` (a string, or a TOML value) as the type of the setting ``name``; raises
    ``ConfigurationError`` naming the setting and the expected type."""
    field = field_for(name)
    if field is None:
        raise ValueError(f"Unknown setting {name!r}.")
    return _parse_any(name, raw, _field_types()[field])


def _parse_any(var: str, raw: object, hint: str) -> Any:
    if isinstance(raw, str):
        return _parse(var, raw, hint)
    ok = isinstance(raw, bool) if hint.startswith("bool") else not isinstance(raw, bool)
    if ok and isinstance(raw, int | float | bool):
        return _parse(var, str(raw), hint)
    from praefect.exceptions import ConfigurationError

    expected = hint.split(" ")[0].split("|")[0]
    raise ConfigurationError(
        f"Setting {var}={raw!r} is not valid: expected a value of type {expected}."
    )


@functools.cache
def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in dataclasses.fields(Settings)}


def resolve(
    environ: Mapping[str, str] | None = None, profile: str | None = None
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """The explicitly set settings and where each comes from.

    Returns ``(values, sources)``: ``values`` maps field names to parsed values (unset fields are
    absent: they take their defaults); ``sources`` maps the same names to ``("env", VAR)`` or
    ``("profile", KEY)``. Environment variables win over the active profile (``profile`` if
    given, else ``PRAEFECT_PROFILE``, else the file's ``active``).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, tuple[str, str]] = {}
    types = _field_types()
    for field, hint in types.items():
        for var in setting_names(field):
            raw = env.get(var)
            if raw is not None:
                values[field] = _parse(var, raw, hint)
                sources[field] = ("env", var)
                break
    path = current_profiles_path(env)
    profiles = read_profiles(path)
    if profiles is None:
        if profile is None and selected_profile(env) is None:
            return values, sources
        profiles = {"active": None, "profiles": {}}
    name = active_profile(profiles, env, profile)
    table = profiles["profiles"].get(name)
    if table is None:
        if name != DEFAULT_PROFILE and name != profiles.get("active"):
            from praefect.exceptions import ConfigurationError

            known = ", ".join(sorted(profiles["profiles"])) or "none"
            raise ConfigurationError(
                f"Profile {name!r} not found in {path} (profiles: {known}). Create it with "
                f"`praefect profile create {name}`."
            )
        return values, sources
    keys = {str(key).upper(): key for key in table}
    for field, hint in types.items():
        if field in values:
            continue
        for var in setting_names(field):
            if var in keys:
                raw = table[keys[var]]
                where = f"{var} (profile {name!r} in {path})"
                values[field] = _parse_any(where, raw, hint)
                sources[field] = ("profile", keys[var])
                break
    return values, sources


# -- profiles ---------------------------------------------------------------------------------

DEFAULT_PROFILE = "default"
"""The profile in force when none is selected (it exists even when the file has no table)."""
PROFILES_FILE = "profiles.toml"


def profiles_path(home: Path | str | None = None) -> Path:
    """``$PRAEFECT_HOME/profiles.toml`` (``home`` as resolved from the environment)."""
    return Path(home or "~/.praefect").expanduser() / PROFILES_FILE


def current_profiles_path(environ: Mapping[str, str] | None = None) -> Path:
    """The profiles file of the home the environment names (a profile's own ``PRAEFECT_HOME``
    does not move the file that holds it)."""
    env = os.environ if environ is None else environ
    for var in setting_names("home"):
        if env.get(var) is not None:
            return profiles_path(env[var] or None)
    return profiles_path()


def selected_profile(environ: Mapping[str, str] | None = None) -> str | None:
    """The profile named by ``PRAEFECT_PROFILE`` (or ``PREFECT_PROFILE``), if any."""
    env = os.environ if environ is None else environ
    for var in ("PRAEFECT_PROFILE", "PREFECT_PROFILE"):
        value = env.get(var)
        if value:
            return value
    return None


def active_profile(
    profiles: Mapping[str, Any] | None,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
) -> str:
    """The profile in force: ``profile``, else ``PRAEFECT_PROFILE``, else the file's
    ``active``, else ``default``."""
    return profile or selected_profile(environ) or (profiles or {}).get("active") or DEFAULT_PROFILE


def read_profiles(path: Path) -> dict[str, Any] | None:
    """``{"active": name or None, "profiles": {name: {KEY: value}}}`` from a profiles file;
    None when there is no file (the common case costs one failed ``open``)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    import tomllib

    from praefect.exceptions import ConfigurationError

    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"The profiles file {path} is not valid TOML: {exc}") from None
    active = parsed.get("active")
    profiles = parsed.get("profiles", {})
    if active is not None and not isinstance(active, str):
        raise ConfigurationError(f"{path}: `active` must be a profile name, not {active!r}.")
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise ConfigurationError(
            f"{path}: profiles must be tables such as [profiles.default] of setting = value."
        )
    return {"active": active, "profiles": profiles}


def write_profiles(path: Path, profiles: Mapping[str, Any]) -> None:
    """Write ``{"active": ..., "profiles": {...}}`` to ``path`` in Prefect's format (atomically:
    a reader sees the old file or the new one)."""
    lines = []
    if profiles.get("active"):
        lines.append(f"active = {_toml_value(profiles['active'])}")
    for name, table in profiles.get("profiles", {}).items():
        lines.append("")
        lines.append(f"[profiles.{_toml_key(str(name))}]")
        for key, value in table.items():
            if value is not None:
                lines.append(f"{_toml_key(str(key))} = {_toml_value(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _toml_key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return _toml_value(key)


def _toml_value(value: object) -> str:
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + (f" {items} " if items else "") + "}"
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    # JSON's string escapes (\", \\, \n, \uXXXX) are all TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


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
    if name.startswith("__"):  # e.g. the import system asking for __path__
        raise AttributeError(name)
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
