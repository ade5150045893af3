"""``praefect deployment``: list, inspect, run, pause, resume and delete deployments, and manage
their schedules (``praefect deployment schedule ...``)."""

from __future__ import annotations

import datetime as _dt
import json
import re
import time
from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(
    name="deployment",
    help="View, run, pause, resume and delete deployments and their schedules.",
    no_args_is_help=True,
)
schedule_app = typer.Typer(
    name="schedule", help="View, add, pause, resume and delete deployment schedules.",
    no_args_is_help=True,
)  # fmt: skip
app.add_typer(schedule_app, name="schedule")

NameArgument = Annotated[
    str,
    typer.Argument(
        help="The deployment: 'flow-name/deployment-name' (or its id).",
        metavar="NAME",
        show_default=False,
    ),
]
_FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


def _read(client: Any, name_or_id: str) -> Any:
    """The deployment called ``flow/deployment`` (or with this id), or exit with an error."""
    import uuid

    from praefect import exceptions

    try:
        try:
            return client.read_deployment(uuid.UUID(name_or_id))
        except ValueError:
            pass
        if "/" not in name_or_id:
            _common.exit_with_error(
                f"Deployment {name_or_id!r} is not valid: give 'flow-name/deployment-name' or "
                "the deployment's id."
            )
        return client.read_deployment_by_name(name_or_id)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(f"Deployment {name_or_id!r} not found.")


def _flow_names(client: Any, deployments: list[Any]) -> dict[str, str]:
    from praefect.schemas import filters

    ids = list({d.flow_id for d in deployments})
    if not ids:
        return {}
    flows = client.read_flows(flow_filter=filters.FlowFilter(id=filters.FlowFilterId(any_=ids)))
    return {str(f.id): f.name for f in flows}


def _describe_schedule(schedule: Any) -> str:
    inner = schedule.schedule
    zone = f" ({inner.timezone})" if getattr(inner, "timezone", None) else ""
    if getattr(inner, "cron", None):
        return f"cron {inner.cron}{zone}"
    if getattr(inner, "interval", None) is not None:
        return f"{_common.every(inner.interval.total_seconds())}{zone}"
    if getattr(inner, "rrule", None):
        return f"rrule {inner.rrule}{zone}"
    return "never"


def parse_key_values(values: list[str] | None, option: str) -> dict[str, Any]:
    """``k=v`` pairs (a value is read as JSON when it is JSON, else as text)."""
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            _common.exit_with_error(f"Invalid {option} {item!r}: expected KEY=VALUE, e.g. n=3.")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def parse_json_object(text: str | None, option: str) -> dict[str, Any]:
    """A JSON object given on the command line, or exit naming the option."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        _common.exit_with_error(f"Invalid {option}: {exc} (expected a JSON object).")
    if not isinstance(value, dict):
        _common.exit_with_error(f"Invalid {option}: expected a JSON object, got {text!r}.")
    return value


_DELAY = re.compile(
    r"^(?:in\s+)?(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hours?|d|days?)?$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _start_time(start_in: str | None, start_at: str | None) -> _dt.datetime | None:
    if start_in is not None and start_at is not None:
        _common.exit_with_error("Give only one of --start-in and --start-at.")
    now = _dt.datetime.now(_dt.UTC)
    if start_in is not None:
        match = _DELAY.match(start_in.strip().lower())
        if match is None:
            _common.exit_with_error(
                f"Invalid --start-in {start_in!r}: expected a delay such as '90', '10 minutes' "
                "or '2 hours'."
            )
        unit = (match.group(2) or "s")[0]
        return now + _dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[unit])
    if start_at is not None:
        try:
            when = _dt.datetime.fromisoformat(start_at.strip())
        except ValueError:
            _common.exit_with_error(
                f"Invalid --start-at {start_at!r}: expected an ISO 8601 time such as "
                "2030-01-01T09:00:00+00:00."
            )
        return when if when.tzinfo else when.replace(tzinfo=_dt.UTC)
    return None


# -- deployments ---------------------------------------------------------------------------------
@app.command("ls")
def ls(
    flow_name: Annotated[
        list[str] | None,
        typer.Argument(help="Only deployments of these flows.", show_default=False),
    ] = None,
    by_created: Annotated[
        bool, typer.Option("--by-created", help="Newest first instead of by name.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """List deployments, by flow and name.

    Example: praefect deployment ls
    """
    output = _common.check_output_format(output)
    from praefect.schemas import filters, sorting

    flow_filter = None
    if flow_name:
        flow_filter = filters.FlowFilter(name=filters.FlowFilterName(any_=flow_name))
    sort = sorting.DeploymentSort.CREATED_DESC if by_created else None
    with _common.sync_client() as client:
        deployments = client.read_deployments(flow_filter=flow_filter, sort=sort)
        names = _flow_names(client, deployments)
    if not by_created:
        deployments.sort(key=lambda d: (names.get(str(d.flow_id), ""), d.name))
    records = []
    if output == "json":
        for deployment in deployments:
            record = _common.to_jsonable(deployment)
            record["flow_name"] = names.get(str(deployment.flow_id))
            records.append(record)
    _common.print_listing(
        deployments,
        output,
        "No deployments found.",
        [
            "Name",
            ("ID", {"style": "cyan"}),
            "Work pool",
            ("Schedules", {"no_wrap": False}),
            "Paused",
        ],
        lambda deployment: [
            f"{names.get(str(deployment.flow_id), '?')}/{deployment.name}",
            str(deployment.id),
            deployment.work_pool_name or "-",
            ", ".join(_describe_schedule(s) for s in deployment.schedules) or "-",
            "yes" if deployment.paused else "no",
        ],
        records,
    )


@app.command("inspect")
def inspect(name: NameArgument, output: OutputOption = None) -> None:
    """Show a deployment: its flow, entrypoint, work pool, schedules and parameters.

    Example: praefect deployment inspect etl/nightly
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        deployment = _read(client, name)
        flow_name = _flow_names(client, [deployment]).get(str(deployment.flow_id))
    if output == "json":
        record = _common.to_jsonable(deployment)
        record["flow_name"] = flow_name
        _common.print_json(record)
        return
    schedules = [
        f"{_describe_schedule(s)}{'' if s.active else ' (paused)'} [{s.id}]"
        for s in deployment.schedules
    ]
    _common.print_details(
        [
            ("Name", f"{flow_name}/{deployment.name}"),
            ("ID", str(deployment.id)),
            ("Version", deployment.version or "-"),
            ("Description", (deployment.description or "-").strip().splitlines()[0]),
            ("Entrypoint", deployment.entrypoint or "-"),
            ("Path", deployment.path or "-"),
            ("Work pool", deployment.work_pool_name or "- (served)"),
            ("Work queue", deployment.work_queue_name or "-"),
            ("Paused", "yes" if deployment.paused else "no"),
            ("Tags", ", ".join(deployment.tags) or "-"),
            ("Parameters", json.dumps(deployment.parameters)),
            ("Job variables", json.dumps(deployment.job_variables)),
            ("Schedules", "; ".join(schedules) or "-"),
            ("Pull steps", json.dumps(deployment.pull_steps) if deployment.pull_steps else "-"),
        ]
    )


@app.command("run")
def run(
    name: Annotated[
        str | None,
        typer.Argument(
            help="The deployment: 'flow-name/deployment-name'.", metavar="NAME", show_default=False
        ),
    ] = None,
    id: Annotated[
        str | None, typer.Option("--id", help="The deployment's id instead of its name.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A parameter KEY=VALUE (VALUE read as JSON if it is).",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    params: Annotated[
        str | None, typer.Option("--params", help="All parameters as a JSON object.")
    ] = None,
    job_variable: Annotated[
        list[str] | None,
        typer.Option("--job-variable", help="A job variable KEY=VALUE.", show_default=False),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag for the run.", show_default=False)
    ] = None,
    flow_run_name: Annotated[
        str | None, typer.Option("--flow-run-name", help="The run's name.")
    ] = None,
    start_in: Annotated[
        str | None, typer.Option("--start-in", help="Start after a delay: '90', '10 minutes'.")
    ] = None,
    start_at: Annotated[
        str | None, typer.Option("--start-at", help="Start at an ISO 8601 time.")
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Wait for the run to finish, printing its states.")
    ] = False,
    watch_interval: Annotated[
        float, typer.Option("--watch-interval", min=0.05, help="Seconds between checks.")
    ] = 2.0,
    watch_timeout: Annotated[
        float | None, typer.Option("--watch-timeout", min=0, help="Stop watching after this.")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Create a run of a deployment; a worker of its pool (or its serving process) runs it.

    Example: praefect deployment run 'etl/nightly' --param n=3 --watch
    """
    output = _common.check_output_format(output)
    if (name is None) == (id is None):
        _common.exit_with_error("Give the deployment's name ('flow-name/deployment-name') or --id.")
    parameters = parse_json_object(params, "--params")
    parameters.update(parse_key_values(param, "--param"))
    job_variables = parse_key_values(job_variable, "--job-variable")
    scheduled_time = _start_time(start_in, start_at)
    from praefect import states

    with _common.sync_client() as client:
        deployment = _read(client, name or str(id))
        try:
            flow_run = client.create_flow_run_from_deployment(
                deployment.id,
                parameters=parameters,
                state=states.Scheduled(scheduled_time=scheduled_time) if scheduled_time else None,
                name=flow_run_name,
                tags=tag or [],
                job_variables=job_variables or None,
            )
        except ValueError as exc:
            _common.exit_with_error(f"The deployment refused the run: {exc}")
        if output == "json" and not watch:
            _common.print_json(flow_run)
            return
        out = _common.console()
        if output != "json":
            when = flow_run.state.state_details.get("scheduled_time") if flow_run.state else None
            out.print(f"Created flow run {flow_run.name!r}.", soft_wrap=True)
            _common.print_details(
                [
                    ("└── ID", str(flow_run.id)),
                    ("└── Parameters", json.dumps(flow_run.parameters)),
                    ("└── Job variables", json.dumps(flow_run.job_variables or {})),
                    ("└── Scheduled start", _common.format_time(when)),
                ]
                + [
                    ("└── UI", url)
                    for url in [_common.ui_url(f"/runs/flow-run/{flow_run.id}")]
                    if url
                ]
            )
        if not watch:
            return
        flow_run = _watch(client, flow_run, watch_interval, watch_timeout, output)
    state_type, state_name = _common.state_of(flow_run)
    if output == "json":
        _common.print_json(flow_run)
    if state_type not in _FINAL:
        _common.exit_with_error(
            f"Flow run {flow_run.name!r} is still {state_name} after {watch_timeout} s."
        )
    if state_type != "COMPLETED":
        raise typer.Exit(1)


def _watch(
    client: Any, flow_run: Any, interval: float, timeout: float | None, output: str | None
) -> Any:
    deadline = None if timeout is None else time.monotonic() + timeout
    last = None
    while True:
        state_type, state_name = _common.state_of(flow_run)
        if state_name != last and output != "json":
            line = _common.styled_state(state_type, state_name)
            _common.console().print(f"Flow run {flow_run.name!r} is ", line, sep="", end="\n")
            last = state_name
        if state_type in _FINAL:
            return flow_run
        if deadline is not None and time.monotonic() >= deadline:
            return flow_run
        time.sleep(interval)
        flow_run = client.read_flow_run(flow_run.id)


def _set_paused(name: str, paused: bool) -> None:
    with _common.sync_client() as client:
        deployment = _read(client, name)
        if paused:
            client.pause_deployment(deployment.id)
        else:
            client.resume_deployment(deployment.id)
    verb = "Paused" if paused else "Resumed"
    _common.console().print(f"{verb} deployment {name!r}.", soft_wrap=True)


@app.command("pause")
def pause(name: NameArgument) -> None:
    """Pause a deployment: its schedules make no runs until it is resumed.

    Example: praefect deployment pause etl/nightly
    """
    _set_paused(name, True)


@app.command("resume")
def resume(name: NameArgument) -> None:
    """Resume a paused deployment.

    Example: praefect deployment resume etl/nightly
    """
    _set_paused(name, False)


@app.command("delete")
def delete(
    name: Annotated[
        str | None,
        typer.Argument(help="'flow-name/deployment-name'.", metavar="NAME", show_default=False),
    ] = None,
    id: Annotated[str | None, typer.Option("--id", help="The deployment's id.")] = None,
    yes: _common.YesOption = False,
) -> None:
    """Delete a deployment and its schedules (its runs are kept).

    Example: praefect deployment delete etl/nightly --yes
    """
    if (name is None) == (id is None):
        _common.exit_with_error("Give the deployment's name ('flow-name/deployment-name') or --id.")
    with _common.sync_client() as client:
        deployment = _read(client, name or str(id))
        _common.confirm_or_exit(f"Delete deployment {name or id!r}?", yes)
        client.delete_deployment(deployment.id)
    _common.console().print(f"Deleted deployment {name or id!r}.", soft_wrap=True)


# -- schedules -----------------------------------------------------------------------------------
@schedule_app.command("ls")
def schedule_ls(name: NameArgument, output: OutputOption = None) -> None:
    """List the schedules of a deployment.

    Example: praefect deployment schedule ls etl/nightly
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        deployment = _read(client, name)
        schedules = client.read_deployment_schedules(deployment.id)
    if output == "json":
        _common.print_json(schedules)
        return
    if not schedules:
        _common.console().print(f"Deployment {name!r} has no schedules.")
        return
    from rich.table import Table

    table = Table()
    table.add_column("ID", no_wrap=True, style="cyan")
    table.add_column("Schedule")
    table.add_column("Active", no_wrap=True)
    for schedule in schedules:
        table.add_row(
            str(schedule.id), _describe_schedule(schedule), "yes" if schedule.active else "no"
        )
    _common.console().print(table)


@schedule_app.command("create")
def schedule_create(
    name: NameArgument,
    interval: Annotated[
        float | None, typer.Option("--interval", help="Every this many seconds.")
    ] = None,
    anchor_date: Annotated[
        str | None, typer.Option("--anchor-date", help="An interval's start (ISO 8601).")
    ] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="A cron expression.")] = None,
    rrule: Annotated[str | None, typer.Option("--rrule", help="An RFC 5545 RRULE.")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="An IANA zone, e.g. Europe/Paris.")
    ] = None,
    day_or: Annotated[
        bool, typer.Option("--day_or/--no-day_or", help="Cron: day fields combine with OR.")
    ] = True,
    active: Annotated[bool, typer.Option("--active/--no-active")] = True,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the deployment's schedules.")
    ] = False,
) -> None:
    """Add a schedule (one of --cron, --interval, --rrule) to a deployment.

    Example: praefect deployment schedule create etl/nightly --cron '0 3 * * *' --timezone UTC
    """
    from praefect.schemas import schedules as wire

    given = [n for n, v in (("--cron", cron), ("--interval", interval), ("--rrule", rrule)) if v]
    if len(given) != 1:
        _common.exit_with_error(
            f"Give exactly one of --cron, --interval or --rrule (got {', '.join(given) or 'none'})."
        )
    try:
        if cron is not None:
            schedule: Any = wire.CronSchedule(cron=cron, timezone=timezone, day_or=day_or)
        else:
            schedule = wire.construct_schedule(
                interval=interval, anchor_date=anchor_date, rrule=rrule, timezone=timezone
            )
    except ValueError as exc:
        _common.exit_with_error(f"Invalid schedule: {_common.input_error(exc, _SCHEDULE_OPTIONS)}")
    with _common.sync_client() as client:
        deployment = _read(client, name)
        if replace:
            for existing in deployment.schedules:
                client.delete_deployment_schedule(deployment.id, existing.id)
        [created] = client.create_deployment_schedules(deployment.id, [(schedule, active)])
    _common.console().print(f"Created schedule {created.id} for deployment {name!r}.")


_SCHEDULE_OPTIONS = {
    "cron": "--cron",
    "interval": "--interval",
    "rrule": "--rrule",
    "timezone": "--timezone",
    "anchor_date": "--anchor-date",
}
"""The command-line option of each schedule field, for error messages."""


def _schedule_ids(deployment: Any, schedule_id: str | None, all_: bool) -> list[Any]:
    if all_:
        return [s.id for s in deployment.schedules]
    if schedule_id is None:
        _common.exit_with_error("Give a SCHEDULE_ID or --all.")
    wanted = _common.parse_id(schedule_id, "schedule")
    if wanted not in {s.id for s in deployment.schedules}:
        _common.exit_with_error(f"Deployment has no schedule {schedule_id!r}.")
    return [wanted]


def _set_active(name: str, schedule_id: str | None, all_: bool, active: bool) -> None:
    with _common.sync_client() as client:
        deployment = _read(client, name)
        ids = _schedule_ids(deployment, schedule_id, all_)
        for each in ids:
            client.update_deployment_schedule(deployment.id, each, active=active)
    verb = "Resumed" if active else "Paused"
    _common.console().print(f"{verb} {len(ids)} schedule(s) of deployment {name!r}.")


ScheduleIdArgument = Annotated[
    str | None, typer.Argument(help="The schedule's id.", metavar="SCHEDULE_ID")
]
AllOption = Annotated[bool, typer.Option("--all", help="Every schedule of the deployment.")]


@schedule_app.command("pause")
def schedule_pause(
    name: NameArgument, schedule_id: ScheduleIdArgument = None, all_: AllOption = False
) -> None:
    """Pause a schedule of a deployment (or --all of them).

    Example: praefect deployment schedule pause etl/nightly --all
    """
    _set_active(name, schedule_id, all_, False)


@schedule_app.command("resume")
def schedule_resume(
    name: NameArgument, schedule_id: ScheduleIdArgument = None, all_: AllOption = False
) -> None:
    """Resume a paused schedule of a deployment (or --all of them).

    Example: praefect deployment schedule resume etl/nightly --all
    """
    _set_active(name, schedule_id, all_, True)


@schedule_app.command("delete")
def schedule_delete(
    name: NameArgument, schedule_id: ScheduleIdArgument = None, all_: AllOption = False
) -> None:
    """Delete a schedule of a deployment (or --all of them).

    Example: praefect deployment schedule delete etl/nightly 5f0c...
    """
    with _common.sync_client() as client:
        deployment = _read(client, name)
        ids = _schedule_ids(deployment, schedule_id, all_)
        for each in ids:
            client.delete_deployment_schedule(deployment.id, each)
    _common.console().print(f"Deleted {len(ids)} schedule(s) of deployment {name!r}.")


@schedule_app.command("clear")
def schedule_clear(name: NameArgument) -> None:
    """Delete every schedule of a deployment.

    Example: praefect deployment schedule clear etl/nightly
    """
    schedule_delete(name, None, True)
