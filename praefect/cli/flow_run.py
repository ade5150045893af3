"""``praefect flow-run``: list, inspect, read (and follow) the logs of, cancel, delete and retry
flow runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common, _logs
from praefect.cli._common import OutputOption

app = typer.Typer(
    name="flow-run",
    help="View, follow, cancel, delete and retry flow runs.",
    no_args_is_help=True,
)


@app.command("ls")
def ls(
    flow_name: Annotated[
        list[str] | None,
        typer.Option(
            "--flow-name", help="Only runs of this flow (repeatable).", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to show.")] = 15,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only runs in this state: a type such as COMPLETED or a name such as Late "
            "(repeatable, case-insensitive).",
            show_default=False,
        ),
    ] = None,
    state_type: Annotated[
        list[str] | None,
        typer.Option(
            "--state-type", help="Only runs with this state type (repeatable).", hidden=True
        ),
    ] = None,
    scheduled: Annotated[
        bool,
        typer.Option(
            "--scheduled", help="List the upcoming (Scheduled) runs instead, soonest first."
        ),
    ] = False,
    output: OutputOption = None,
) -> None:
    """List the flow runs that ran (or run now), newest first; --scheduled lists upcoming ones.

    Example: praefect flow-run ls --state failed --flow-name etl --limit 5
    """
    output = _common.check_output_format(output)
    types, names = _common.parse_states((state or []) + (state_type or []))
    if scheduled and (types or names):
        _common.exit_with_error("Give --scheduled or --state, not both.")
    with _common.sync_client() as client:
        if scheduled:
            runs = _read_upcoming_runs(client, flow_name or [], limit)
        else:
            runs = _read_flow_runs(client, flow_name or [], types, names, limit)
        flow_names = _flow_names(client, runs)
    _common.print_runs(
        runs, output, flow_names, "flow_id", "flow_name", "Flow", "No flow runs found."
    )


@app.command("inspect")
def inspect(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
    output: OutputOption = None,
) -> None:
    """Show a flow run: state, state history, parameters and task runs.

    Example: praefect flow-run inspect 0b7c1a2e-...
    """
    output = _common.check_output_format(output)
    run_id = _common.parse_id(id, "flow run")
    from praefect import exceptions

    with _common.sync_client() as client:
        run = _read_flow_run(client, run_id)
        try:
            flow_name = _common.field(client.read_flow(_common.field(run, "flow_id")), "name")
        except exceptions.ObjectNotFound:
            flow_name = None
        states = list(client.read_flow_run_states(run_id))
        task_run_count, counts = _count_task_runs(client, run_id)

    states.sort(key=_common.timestamp)

    if output == "json":
        record = _common.to_jsonable(run)
        record["flow_name"] = flow_name
        record["state_history"] = [_common.to_jsonable(s) for s in states]
        record["task_run_count"] = task_run_count
        record["task_run_states"] = counts
        _common.print_json(record)
        return

    from rich.text import Text

    details: list[tuple[str, str | Text]] = [
        ("ID", str(run_id)),
        ("Name", str(_common.field(run, "name"))),
        ("Flow", f"{flow_name or '-'} ({_common.field(run, 'flow_id')})"),
        *_common.state_rows(run),
        *_common.time_rows(run),
        ("Parameters", _json_text(_common.field(run, "parameters") or {})),
    ]
    tags = _common.field(run, "tags") or []
    details.append(("Tags", ", ".join(tags) if tags else "-"))
    parent = _common.field(run, "parent_task_run_id")
    if parent:
        details.append(("Parent task run", str(parent)))
    summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    details.append(("Task runs", f"{task_run_count}" + (f" ({summary})" if summary else "")))
    _common.print_run_details(details, states)


@app.command("logs")
def logs(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
    head: _logs.HeadOption = False,
    num_logs: _logs.NumLogsOption = None,
    reverse: _logs.ReverseOption = False,
    tail: _logs.TailOption = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Keep printing new logs as they arrive, until the run is final (Ctrl-C stops).",
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between polls with --follow.")
    ] = 0.5,
    output: OutputOption = None,
) -> None:
    """Print a flow run's logs: timestamp, level, task run (or flow run) and message.

    With --follow, new lines are printed as they arrive until the run reaches a final state
    (with -o json: one JSON object per line).

    Example: praefect flow-run logs 0b7c1a2e-... --tail -n 50
    """
    output = _common.check_output_format(output)
    run_id = _common.parse_id(id, "flow run")
    from praefect.client.schemas import filters

    if follow:
        if head or reverse:
            _common.exit_with_error("--follow cannot be combined with --head or --reverse.")
        _logs.follow_flow_run_logs(
            run_id,
            tail=tail,
            num_logs=num_logs,
            interval=interval,
            output=output,
            read_run=_read_flow_run,
            task_run_names=_task_run_names,
        )
        return

    with _common.sync_client() as client:
        run = _read_flow_run(client, run_id)
        log_filter = filters.LogFilter(flow_run_id=filters.LogFilterFlowRunId(any_=[run_id]))
        found = _logs.read_logs(
            client, log_filter, head=head, tail=tail, num_logs=num_logs, reverse=reverse
        )
        task_names = _task_run_names(client, found)
    if not found and output is None:
        _common.err_console().print(f"No logs found for flow run {_common.field(run, 'name')!r}.")
        return
    _logs.print_logs(found, task_names, output, flow_run_name=str(_common.field(run, "name")))


@app.command("cancel")
def cancel(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
    output: OutputOption = None,
) -> None:
    """Cancel a flow run: propose Cancelling; a run with no process to stop becomes Cancelled.

    Example: praefect flow-run cancel 0b7c1a2e-...
    """
    output = _common.check_output_format(output)
    run_id = _common.parse_id(id, "flow run")
    from praefect import exceptions, states

    with _common.sync_client() as client:
        run = _read_flow_run(client, run_id)
        state_type, state_name = _common.state_of(run)
        name = str(_common.field(run, "name"))
        if state_type in _FINAL_TYPES:
            _common.exit_with_error(
                f"Flow run {name!r} is already {state_name} (a final state); only a Scheduled, "
                "Pending, Running or Paused run can be cancelled."
            )
        if state_type == "CANCELLING":
            _common.exit_with_error(f"Flow run {name!r} is already being cancelled (Cancelling).")
        proposed = states.Cancelling(message="Cancelled with `praefect flow-run cancel`.")
        try:
            result = client.set_flow_run_state(run_id, proposed)
        except exceptions.ObjectNotFound:
            _common.exit_with_error(f"Flow run {str(run_id)!r} not found.")
        current = result.state
        if current is None:  # ABORT or WAIT: nothing was written
            current_run = client.read_flow_run(run_id)
            current_type, current_name = _common.state_of(current_run)
        else:
            current_type, current_name = current.type.value, current.name
    status = getattr(result.status, "value", result.status)
    reason = result.details.reason
    if output == "json":
        _common.print_json(
            {
                "id": str(run_id),
                "name": name,
                "status": status,
                "reason": reason,
                "state_type": current_type,
                "state_name": current_name,
            }
        )
        if status not in ("ACCEPT", "REJECT"):
            raise typer.Exit(1)
        return
    if status not in ("ACCEPT", "REJECT"):
        _common.exit_with_error(
            f"Flow run {name!r} was not cancelled ({status}): {reason or 'no reason given'}. "
            f"It is {current_name}."
        )
    from rich.text import Text

    line = Text(f"Flow run {name!r} is now ")
    line.append(_common.styled_state(current_type, current_name))
    if current_type == "CANCELLING":
        line.append(
            ". The worker (or serve process) that runs it stops its process and marks it "
            "Cancelled; a run started by hand stays Cancelling until its process ends."
        )
    else:
        line.append(".")
    if reason:
        line.append(f" {reason}", style="bright_black")
    _common.console().print(line, soft_wrap=True)


@app.command("resume")
def resume(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
    input: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="The input the run waits for, as a JSON object (a plain type's is "
            '{"value": ...}).',
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Resume a paused or suspended flow run, with the input it waits for.

    Example: praefect flow-run resume 0b7c1a2e-... --input '{"approved": true}'
    """
    import json

    from praefect import exceptions

    output = _common.check_output_format(output)
    run_id = _common.parse_id(id, "flow run")
    run_input = None
    if input is not None:
        try:
            run_input = json.loads(input)
        except json.JSONDecodeError as exc:
            _common.exit_with_error(f"--input is not valid JSON ({exc.msg} at column {exc.colno}).")
        if not isinstance(run_input, dict):
            _common.exit_with_error(
                f"--input must be a JSON object (the input's fields), got {input!r}; for a plain "
                'type, give {"value": ...}.'
            )
    with _common.sync_client() as client:
        run = _read_flow_run(client, run_id)
        name = str(_common.field(run, "name"))
        try:
            result = client.resume_flow_run(run_id, run_input)
        except exceptions.NotPausedError as exc:
            _common.exit_with_error(str(exc))
        except ValueError as exc:
            _common.exit_with_error(str(exc))
    status = getattr(result.status, "value", result.status)
    current = result.state
    current_type = current.type.value if current is not None else None
    current_name = current.name if current is not None else None
    reason = result.details.reason if result.details is not None else None
    if output == "json":
        _common.print_json(
            {
                "id": str(run_id),
                "name": name,
                "status": status,
                "reason": reason,
                "state_type": current_type,
                "state_name": current_name,
            }
        )
        if status != "ACCEPT":
            raise typer.Exit(1)
        return
    if status != "ACCEPT":
        _common.exit_with_error(
            f"Flow run {name!r} was not resumed ({status}): {reason or 'no reason given'}."
            + (f" It is {current_name}." if current_name else "")
        )
    from rich.text import Text

    line = Text(f"Flow run {name!r} is now ")
    line.append(_common.styled_state(current_type, current_name))
    if current_type == "SCHEDULED":
        line.append(": a worker runs it again, and it goes on after its suspension.")
    else:
        line.append(": its process goes on.")
    _common.console().print(line, soft_wrap=True)


@app.command("delete")
def delete(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    output: OutputOption = None,
) -> None:
    """Delete a flow run with its states, task runs and logs.

    Example: praefect flow-run delete 0b7c1a2e-... --yes
    """
    output = _common.check_output_format(output)
    run_id = _common.parse_id(id, "flow run")
    from praefect import exceptions

    with _common.sync_client() as client:
        run = _read_flow_run(client, run_id)
        name = str(_common.field(run, "name"))
        _common.confirm_or_exit(f"Delete flow run {name!r} ({run_id})?", yes)
        try:
            client.delete_flow_run(run_id)
        except exceptions.ObjectNotFound:
            _common.exit_with_error(f"Flow run {str(run_id)!r} not found.")
    if output == "json":
        _common.print_json({"id": str(run_id), "name": name, "deleted": True})
        return
    _common.console().print(f"Deleted flow run {name!r} ({run_id}).", markup=False)


_FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@app.command("retry")
def retry(
    id: Annotated[str, typer.Argument(help="The flow run's id.", metavar="ID", show_default=False)],
) -> None:
    """Run a Failed, Crashed or Cancelled flow run again from its entrypoint, with its parameters, as a new
    attempt of the same run. Tasks whose results were persisted and cached are not run again.

    Example: praefect flow-run retry 0b7c1a2e-...
    """
    run_id = _common.parse_id(id, "flow run")
    from praefect import exceptions, flow_runs

    try:
        state = flow_runs.retry_flow_run(run_id)
    except exceptions.FlowRunNotFound:
        _common.exit_with_error(f"Flow run {str(run_id)!r} not found.")
    except (ValueError, exceptions.MissingFlowError, exceptions.ScriptError) as exc:
        _common.exit_with_error(str(exc))
    text = _common.styled_state(state.type.value, state.name)
    _common.console().print("Flow run", repr(str(run_id)), "finished in state", text)
    if not state.is_completed():
        raise typer.Exit(1)


@app.command("execute")
def execute(
    id: Annotated[
        str | None,
        typer.Argument(
            help="The flow run's id (default: $PRAEFECT__FLOW_RUN_ID).",
            metavar="ID",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Execute an existing flow run here, in place: load its flow from its deployment (pull
    steps, entrypoint) and run it. What a worker's process does.

    Example: praefect flow-run execute 0b7c1a2e-...
    """
    if id is not None:
        _common.parse_id(id, "flow run")
    from praefect.engine import execute as _execute

    code = _execute.main(id)
    if code:
        raise typer.Exit(code)


# -- reads -------------------------------------------------------------------------------------


def _read_flow_run(client: Any, run_id: Any) -> Any:
    with _common.not_found_as_error("Flow run", run_id):
        run = client.read_flow_run(run_id)
    if run is None:
        _common.exit_with_error(f"Flow run {str(run_id)!r} not found.")
    return run


def _read_flow_runs(
    client: Any, flow_names: list[str], types: list[str], names: list[str], limit: int
) -> list[Any]:
    from praefect.client.schemas import filters, sorting

    flow_filter = (
        filters.FlowFilter(name=filters.FlowFilterName(any_=flow_names)) if flow_names else None
    )
    sort = sorting.FlowRunSort.EXPECTED_START_TIME_DESC

    def query(state_filter: Any) -> list[Any]:
        run_filter = filters.FlowRunFilter(state=state_filter) if state_filter is not None else None
        return list(
            client.read_flow_runs(
                flow_filter=flow_filter, flow_run_filter=run_filter, sort=sort, limit=limit
            )
        )

    if not types and not names:
        # What ran, not the future: upcoming runs would fill the page (--scheduled lists them).
        not_scheduled = filters.FlowRunFilterState(
            name=filters.FlowRunFilterStateName(not_any_=["Scheduled"])
        )
        return query(not_scheduled)
    by_type = by_name = None
    if types:
        by_type = filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=types))
    if names:
        by_name = filters.FlowRunFilterState(name=filters.FlowRunFilterStateName(any_=names))
    if by_type is None or by_name is None:
        return query(by_type or by_name)
    # A type and a name filter in one query would AND them; the user asked for either.
    merged = {str(_common.field(r, "id")): r for r in query(by_type) + query(by_name)}
    runs = sorted(merged.values(), key=_common.newest_first_key, reverse=True)
    return runs[:limit]


def _read_upcoming_runs(client: Any, flow_names: list[str], limit: int) -> list[Any]:
    from praefect.client.schemas import filters, sorting

    flow_filter = (
        filters.FlowFilter(name=filters.FlowFilterName(any_=flow_names)) if flow_names else None
    )
    upcoming = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(name=filters.FlowRunFilterStateName(any_=["Scheduled"]))
    )
    return list(
        client.read_flow_runs(
            flow_filter=flow_filter,
            flow_run_filter=upcoming,
            sort=sorting.FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=limit,
        )
    )


def _flow_names(client: Any, runs: list[Any]) -> dict[str, str]:
    from praefect import exceptions

    names: dict[str, str] = {}
    for flow_id in {_common.field(run, "flow_id") for run in runs}:
        if flow_id is None:
            continue
        try:
            names[str(flow_id)] = _common.field(client.read_flow(flow_id), "name")
        except exceptions.ObjectNotFound:
            pass
    return names


def _count_task_runs(client: Any, run_id: Any) -> tuple[int, dict[str, int]]:
    """How many task runs a flow run has, and how many per state type (one count query each,
    so a flow with 100,000 tasks costs no more than one with ten)."""
    from praefect.client.schemas import filters

    run_filter = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[run_id]))
    total = client.count_task_runs(flow_run_filter=run_filter)
    by_state: dict[str, int] = {}
    if total:
        for state_type in _common.state_types():
            task_filter = filters.TaskRunFilter(
                state=filters.TaskRunFilterState(
                    type=filters.TaskRunFilterStateType(any_=[state_type])
                )
            )
            n = client.count_task_runs(flow_run_filter=run_filter, task_run_filter=task_filter)
            if n:
                by_state[state_type.capitalize()] = n
    return total, by_state


def _task_run_names(client: Any, logs: list[Any]) -> dict[str, str]:
    import uuid

    from praefect.client.schemas import filters

    ids = sorted({str(i) for i in (_common.field(log, "task_run_id") for log in logs) if i})
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = [uuid.UUID(i) for i in ids[start : start + 500]]
        task_filter = filters.TaskRunFilter(id=filters.TaskRunFilterId(any_=chunk))
        for t in client.read_task_runs(task_run_filter=task_filter, limit=len(chunk)):
            names[str(_common.field(t, "id"))] = str(_common.field(t, "name"))
    return names


def _json_text(value: Any) -> str:
    import json

    return json.dumps(_common.to_jsonable(value), default=str)
