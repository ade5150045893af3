"""Helpers shared by the CLI commands: consoles, errors, output formats, states and times.

Only the standard library, typer and ``praefect.utilities.fields`` are imported at module
level: the CLI must start fast, so rich is imported when something is printed, and everything
that touches the client or the database inside the commands (``praefect server start`` then
never loads rich at all).
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from praefect.utilities.fields import field as field  # the commands read fields through _common

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

OUTPUT_FORMATS = ("json",)
OutputOption = Annotated[
    str | None, typer.Option("--output", "-o", help="Output format: json.", show_default=False)
]

STATE_NAMES = (
    "Scheduled",
    "Late",
    "AwaitingRetry",
    "AwaitingConcurrencySlot",
    "Pending",
    "Running",
    "Retrying",
    "Completed",
    "Cached",
    "RolledBack",
    "Failed",
    "Crashed",
    "Cancelling",
    "Cancelled",
    "Paused",
    "Suspended",
    "TimedOut",
    "NotReady",
)
"""Named states a run can be in (the default name of each type plus the named states on top)."""


def state_types() -> list[str]:
    """The state types, from the one definition of them."""
    from praefect.schemas.states import StateType

    return [t.value for t in StateType]


STATE_STYLES = {
    "SCHEDULED": "yellow",
    "PENDING": "bright_black",
    "RUNNING": "blue",
    "COMPLETED": "green",
    "FAILED": "red",
    "CRASHED": "bold bright_red",
    "CANCELLING": "bright_black",
    "CANCELLED": "bright_black",
    "PAUSED": "bright_black",
}

PIPED_WIDTH = 240
"""Page width when output is not a terminal."""

_stdout: Console | None = None
_stderr: Console | None = None


def _make_console(stderr: bool) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (grep, a file, a test) gets a wide page instead of rich's 80 columns, so ids
    # and names are never cut or wrapped.
    width = None
    if not stream.isatty():
        columns = os.environ.get("COLUMNS", "")
        width = max(int(columns) if columns.isdigit() else 0, PIPED_WIDTH)
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def console() -> Console:
    """The console for command output (stdout)."""
    global _stdout
    if _stdout is None or _stdout.file is not sys.stdout:
        _stdout = _make_console(stderr=False)
    return _stdout


def err_console() -> Console:
    """The console for errors (stderr)."""
    global _stderr
    if _stderr is None or _stderr.file is not sys.stderr:
        _stderr = _make_console(stderr=True)
    return _stderr


def warn(message: str) -> None:
    """A warning on stderr, in yellow, printed as is (no rich markup)."""
    err_console().print(message, style="yellow", soft_wrap=True, markup=False)


def exit_with_error(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` in red on stderr and leave with ``code``."""
    from rich.text import Text

    err_console().print(Text(message, style="red"), soft_wrap=True)
    raise typer.Exit(code)


def confirm_or_exit(question: str, yes: bool) -> None:
    """Ask ``question`` before a delete unless ``--yes`` was given; exit 1 with "Not deleted."
    on no, and say how to skip the question when there is no one to answer it (no input)."""
    if yes:
        return
    try:
        agreed = typer.confirm(question, default=False)
    except typer.Abort:
        exit_with_error("Not deleted: no answer (give --yes to delete without asking).")
    if not agreed:
        exit_with_error("Not deleted.")


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def check_output_format(output: str | None) -> str | None:
    """Validate ``--output``; only ``json`` is known."""
    if output is None:
        return None
    value = output.lower()
    if value not in OUTPUT_FORMATS:
        exit_with_error(
            f"Unsupported output format {output!r}; the supported formats are: "
            f"{', '.join(OUTPUT_FORMATS)}."
        )
    return value


def input_error(exc: Exception, options: dict[str, str] | None = None) -> str:
    """One line for a bad value: a pydantic ``ValidationError`` becomes its first message,
    led by the command-line option that carries the field (``options`` maps field names to
    option names), without pydantic's error codes and links.

    >>> input_error(ValueError("interval must be more than zero"), {"interval": "--interval"})
    'interval must be more than zero'
    """
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return str(exc)
    message = str(first.get("msg", exc)).removeprefix("Value error, ")
    field_name = str(first["loc"][0]) if first.get("loc") else ""
    option = (options or {}).get(field_name)
    if option:
        return f"{option}: {message}"
    return f"{field_name}: {message}" if field_name else message


def parse_id(value: str, what: str) -> uuid.UUID:
    """Parse a run id given on the command line, or exit with a clear error."""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        exit_with_error(
            f"{value!r} is not a valid {what} id; expected a UUID such as {uuid.uuid4()}."
        )


def parse_states(values: list[str] | None) -> tuple[list[str], list[str]]:
    """Split ``--state`` values into state types and state names (case-insensitive).

    A value that is a state type (``completed``) counts as the type; otherwise it must be a state
    name (``late``, ``awaitingretry``). Anything else exits with the list of valid values.
    """
    valid_types = state_types()
    types: list[str] = []
    names: list[str] = []
    by_lower = {name.lower(): name for name in STATE_NAMES}
    for raw in values or []:
        value = raw.strip()
        if value.upper() in valid_types:
            if value.upper() not in types:
                types.append(value.upper())
        elif value.lower().replace(" ", "") in by_lower:
            name = by_lower[value.lower().replace(" ", "")]
            if name not in names:
                names.append(name)
        else:
            exit_with_error(
                f"Invalid state {raw!r}. Valid state types: {', '.join(valid_types)}; "
                f"valid state names: {', '.join(STATE_NAMES)} (case-insensitive)."
            )
    return types, names


@contextmanager
def sync_client() -> Iterator[Any]:
    """The user-facing synchronous client (the CLI is a client user, embedded or remote)."""
    import praefect
    from praefect import exceptions
    from praefect.logging import configuration

    configuration.setup_logging()  # e.g. "flow run X marked Crashed" warnings, formatted
    with ExitStack() as stack:
        try:
            client = stack.enter_context(praefect.get_client(sync_client=True))
        except (exceptions.ConfigurationError, NotImplementedError) as exc:
            exit_with_error(f"Cannot open the praefect client: {exc}")
        from praefect import settings

        api_url = settings.get_current_settings().api_url
        if api_url:
            check_server(api_url)
        yield client


def ui_url(path: str) -> str | None:
    """The web UI's address of ``path`` (``/runs/flow-run/<id>``) on the server the CLI talks
    to; None in embedded mode, where no server may be running."""
    from praefect import settings

    api_url = settings.get_current_settings().api_url
    if not api_url:
        return None
    return api_url.rstrip("/").removesuffix("/api") + path


SERVER_PROBE_SECONDS = 4.0
"""How long a CLI command tries to reach the server before it says it cannot (the client's own
budget, for flows riding out an outage, is ``client_retry_seconds``)."""


def check_server(api_url: str, budget: float = SERVER_PROBE_SECONDS) -> None:
    """Exit with one line when no praefect API answers at ``api_url``: the server is down, the
    host is wrong, or the URL lacks ``/api``. Retries for ``budget`` seconds, with a spinner on a
    terminal. Any answer of the API (an auth error or a 503 included) lets the command go on."""
    import time

    import httpx

    url = api_url.rstrip("/")
    deadline = time.monotonic() + budget
    spinner = ExitStack()
    if sys.stderr.isatty():
        spinner.enter_context(err_console().status(f"Connecting to {url} ..."))
    with spinner, httpx.Client(timeout=httpx.Timeout(2.0)) as http:
        while True:
            try:
                answer = http.get(url + "/health")
            except httpx.TransportError as exc:
                problem = _describe_transport_error(exc)
            else:
                if answer.status_code == 404:
                    _exit_not_an_api(http, url)
                return
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.5, left))
    exit_with_error(
        f"Cannot reach {url} ({problem}); is `praefect server start` running there? "
        "(Or unset PRAEFECT_API_URL to use the local database.)"
    )


def _describe_transport_error(exc: Exception) -> str:
    import httpx

    text = str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if "refused" in text.lower():
        return "connection refused"
    if "name or service not known" in text.lower() or "nodename" in text.lower():
        return "unknown host"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exit_not_an_api(http: Any, url: str) -> NoReturn:
    """A 404 at ``{url}/health``: say whether adding ``/api`` would find the server."""
    import httpx

    if not url.endswith("/api"):
        try:
            found = http.get(url + "/api/health").status_code == 200
        except httpx.TransportError:
            found = False
        if found:
            exit_with_error(
                f"{url} is the server, not its API: add /api (PRAEFECT_API_URL={url}/api)."
            )
    exit_with_error(
        f"No praefect API at {url} ({url}/health answered 404); the API URL of "
        "`praefect server start` ends in /api, such as http://127.0.0.1:4200/api."
    )


@contextmanager
def not_found_as_error(what: str, run_id: uuid.UUID) -> Iterator[None]:
    """Turn the client's "no such record" error into a clear message and exit code 1."""
    from praefect import exceptions

    try:
        yield
    except exceptions.ObjectNotFound:
        exit_with_error(f"{what} {str(run_id)!r} not found.")


# -- reading fields of client objects ----------------------------------------------------------


def state_of(run: object) -> tuple[str | None, str | None]:
    """The (type, name) of a run's current state, as plain strings."""
    state = field(run, "state")
    state_type = field(run, "state_type") or (field(state, "type") if state is not None else None)
    state_name = field(run, "state_name") or (field(state, "name") if state is not None else None)
    if isinstance(state_type, enum.Enum):
        state_type = state_type.value
    if state_name is None and state_type is not None:
        state_name = str(state_type).capitalize()
    return (str(state_type) if state_type is not None else None, state_name)


def styled_state(state_type: str | None, state_name: str | None) -> Text:
    """The state name colored by its type."""
    from rich.text import Text

    if state_type is None:
        return Text("-", style="bright_black")
    return Text(state_name or state_type, style=STATE_STYLES.get(state_type, ""))


def as_datetime(value: Any) -> _dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if isinstance(value, _dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value


def timestamp(item: object) -> _dt.datetime:
    """The ``timestamp`` of a log line or a state (the store writes one on every row)."""
    value = as_datetime(field(item, "timestamp"))
    if value is None:
        raise ValueError(f"{item!r} has no timestamp.")
    return value


def newest_first_key(run: object) -> _dt.datetime:
    """Sort key of a run by when it was (expected to be) started; use with ``reverse=True``."""
    for name in ("expected_start_time", "start_time", "created"):
        value = as_datetime(field(run, name))
        if value is not None:
            return value
    return _dt.datetime.min.replace(tzinfo=_dt.UTC)


def format_time(value: object) -> str:
    """A timestamp in the local timezone, to the second; ``-`` when unset."""
    when = as_datetime(value)
    if when is None:
        return "-"
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_log_time(value: object) -> str:
    """A log timestamp in the local timezone, to the millisecond."""
    when = as_datetime(value)
    if when is None:
        return "-"
    local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def run_duration(run: object) -> float | None:
    """Seconds a run has run: still counting while it runs, ``None`` if it never started."""
    state_type, _ = state_of(run)
    start = as_datetime(field(run, "start_time"))
    end = as_datetime(field(run, "end_time"))
    if state_type == "RUNNING" and start is not None:
        return max((_dt.datetime.now(_dt.UTC) - start).total_seconds(), 0.0)
    total = field(run, "total_run_time")
    if isinstance(total, _dt.timedelta):
        total = total.total_seconds()
    if total:
        return float(total)
    if start is not None and end is not None:
        return max((end - start).total_seconds(), 0.0)
    return 0.0 if start is not None else None


def format_duration(seconds: float | None) -> str:
    """``0.12s``, ``12.3s``, ``4m 05s``, ``2h 03m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def plain(value: object) -> str:
    """A value for people, not a Python repr: ``-`` for None, yes/no for booleans.

    >>> plain(None), plain(False), plain(3)
    ('-', 'no', '3')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def limit_text(value: int | None) -> str:
    """A concurrency limit: ``unlimited`` when unset."""
    return "unlimited" if value is None else str(value)


def every(seconds: float) -> str:
    """An interval in words, as the UI writes it: ``every 30s``, ``every 1h 00m``."""
    if seconds < 60 and float(seconds).is_integer():
        return f"every {int(seconds)}s"
    return f"every {format_duration(seconds)}"


def print_details(rows: Sequence[tuple[str, str | Text]]) -> None:
    """Aligned ``label  value`` lines (no table padding, so no trailing spaces when piped)."""
    from rich.text import Text

    width = max(len(label) for label, _ in rows) + 2
    out = console()
    for label, value in rows:
        line = Text(f"{label:<{width}}", style="bold")
        line.append(value if isinstance(value, Text) else Text(str(value)))
        out.print(line, soft_wrap=True)


def state_rows(run: object) -> list[tuple[str, str | Text]]:
    """The ``State`` line of a run's details, and its ``Message`` when it has one."""
    state_type, state_name = state_of(run)
    state = field(run, "state")
    message = field(state, "message") if state is not None else None
    rows: list[tuple[str, str | Text]] = [("State", styled_state(state_type, state_name))]
    if message:
        rows.append(("Message", str(message)))
    return rows


def time_rows(run: object) -> list[tuple[str, str | Text]]:
    """The start and end time, duration and run count lines of a run's details."""
    return [
        ("Start time", format_time(field(run, "start_time"))),
        ("End time", format_time(field(run, "end_time"))),
        ("Duration", format_duration(run_duration(run))),
        ("Run count", str(field(run, "run_count", 0))),
    ]


def print_run_details(rows: list[tuple[str, str | Text]], states: list[Any]) -> None:
    """A run's details, then its state history as a table."""
    from rich.table import Table
    from rich.text import Text

    history = Table()
    for column in ("Time", "State", "Type"):
        history.add_column(column, no_wrap=True)
    history.add_column("Message")
    for s in states:
        s_type = field(s, "type")
        s_type = getattr(s_type, "value", s_type)
        history.add_row(
            format_log_time(field(s, "timestamp")),
            styled_state(s_type, field(s, "name")),
            str(s_type),
            str(field(s, "message") or ""),
        )
    print_details(rows)
    console().print(Text("\nState history", style="bold"))
    console().print(history)


# -- JSON output -------------------------------------------------------------------------------


def to_jsonable(obj: Any) -> Any:
    """A client object (pydantic model, State, dataclass, mapping ...) as plain JSON data."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, _dt.datetime | _dt.date):
        return obj.isoformat()
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    to_record = getattr(obj, "to_record", None)
    if callable(to_record):
        return to_jsonable(to_record())
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except Exception:
            return to_jsonable(dump())
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "__dict__"):
        return to_jsonable({k: v for k, v in vars(obj).items() if not k.startswith("_")})
    return str(obj)


def print_json(data: object) -> None:
    """Write ``data`` as indented JSON on stdout (plain text: no colors, no wrapping)."""
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, default=str) + "\n")
    sys.stdout.flush()


ID_COLUMN: tuple[str, dict[str, Any]] = ("ID", {"min_width": 36, "style": "cyan"})


def print_listing(
    items: list[Any],
    output: str | None,
    empty_message: str,
    columns: list[str | tuple[str, dict[str, Any]]],
    row: Callable[[Any], list[Any]],
    records: list[Any] | None = None,
) -> None:
    """A listing: the JSON of ``records`` (default: the items themselves) with ``-o json``,
    ``empty_message`` when there is nothing, else a table of one ``row(item)`` per item (a
    column is a title, or a title and ``add_column`` options; columns never wrap)."""
    if output == "json":
        print_json(items if records is None else records)
        return
    if not items:
        console().print(empty_message)
        return
    from rich.table import Table

    table = Table()
    for column in columns:
        title, options = (column, {}) if isinstance(column, str) else column
        table.add_column(title, **{"no_wrap": True, **options})
    for item in items:
        table.add_row(*row(item))
    console().print(table)


def print_runs(
    runs: list[Any],
    output: str | None,
    parent_names: dict[str, str],
    parent_field: str,
    parent_key: str,
    parent_column: str,
    empty_message: str,
) -> None:
    """Print a listing of flow runs or task runs: JSON records (with the parent's name under
    ``parent_key``) or a table (ID, name, parent, state, when, duration): "when" is the start
    time, or the scheduled time of a run that has not started."""
    records = []
    if output == "json":
        for run in runs:
            record = to_jsonable(run)
            record[parent_key] = parent_names.get(str(field(run, parent_field)))
            records.append(record)

    def row(run: object) -> list[Any]:
        return [
            str(field(run, "id")),
            str(field(run, "name")),
            parent_names.get(str(field(run, parent_field)), "-"),
            styled_state(*state_of(run)),
            format_time(field(run, "start_time") or field(run, "expected_start_time")),
            format_duration(run_duration(run)),
        ]

    columns: list[str | tuple[str, dict[str, Any]]] = [
        ID_COLUMN,
        "Name",
        parent_column,
        "State",
        "When",
        ("Duration", {"justify": "right"}),
    ]
    print_listing(runs, output, empty_message, columns, row, records)
