"""``praefect task-run``: list, inspect and read the logs of task runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common, _logs
from praefect.cli._common import OutputOption

app = typer.Typer(
    name="task-run",
    help="View task runs, their details and their logs.",
    no_args_is_help=True,
)


@app.command("ls")
def ls(
    flow_run_id: Annotated[
        str | None,
        typer.Option("--flow-run-id", help="Only task runs of this flow run.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many task runs to show.")] = 15,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only task runs in this state: a type such as FAILED or a name such as Cached "
            "(repeatable, case-insensitive).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """List recent task runs, newest first.

    Example: praefect task-run ls --flow-run-id 0b7c1a2e-... --limit 50
    """
    output = _common.check_output_format(output)
    run_id = _common.parse_id(flow_run_id, "flow run") if flow_run_id else None
    types, names = _common.parse_states(state)
    with _common.sync_client() as client:
        task_runs = _read_task_runs(client, run_id, types, names, limit)
        run_names = _flow_run_names(client, task_runs)
    _common.print_runs(
        task_runs,
        output,
        run_names,
        "flow_run_id",
        "flow_run_name",
        "Flow run",
        "No task runs found.",
    )


@app.command("inspect")
def inspect(
    id: Annotated[str, typer.Argument(help="The task run's id.", metavar="ID", show_default=False)],
    output: OutputOption = None,
) -> None:
    """Show a task run: state, state history, inputs and retries.

    Example: praefect task-run inspect 5d1e9f30-...
    """
    output = _common.check_output_format(output)
    task_run_id = _common.parse_id(id, "task run")
    with _common.sync_client() as client:
        task_run = _read_task_run(client, task_run_id)
        run_names = _flow_run_names(client, [task_run])
        states = list(client.read_task_run_states(task_run_id))
    states.sort(key=_common.timestamp)
    flow_run_id = _common.field(task_run, "flow_run_id")
    flow_run_name = run_names.get(str(flow_run_id))

    if output == "json":
        record = _common.to_jsonable(task_run)
        record["flow_run_name"] = flow_run_name
        record["state_history"] = [_common.to_jsonable(s) for s in states]
        _common.print_json(record)
        return

    import json

    from rich.text import Text

    details: list[tuple[str, str | Text]] = [
        ("ID", str(task_run_id)),
        ("Name", str(_common.field(task_run, "name"))),
        ("Task key", str(_common.field(task_run, "task_key") or "-")),
        ("Flow run", f"{flow_run_name or '-'} ({flow_run_id or '-'})"),
        *_common.state_rows(task_run),
        *_common.time_rows(task_run),
    ]
    cache_key = _common.field(task_run, "cache_key")
    if cache_key:
        details.append(("Cache key", str(cache_key)))
    inputs = _common.field(task_run, "task_inputs") or {}
    details.append(("Task inputs", json.dumps(_common.to_jsonable(inputs), default=str)))
    tags = _common.field(task_run, "tags") or []
    details.append(("Tags", ", ".join(tags) if tags else "-"))
    _common.print_run_details(details, states)


@app.command("logs")
def logs(
    id: Annotated[str, typer.Argument(help="The task run's id.", metavar="ID", show_default=False)],
    head: _logs.HeadOption = False,
    num_logs: _logs.NumLogsOption = None,
    reverse: _logs.ReverseOption = False,
    tail: _logs.TailOption = False,
    output: OutputOption = None,
) -> None:
    """Print a task run's logs.

    Example: praefect task-run logs 5d1e9f30-... --head
    """
    output = _common.check_output_format(output)
    task_run_id = _common.parse_id(id, "task run")
    from praefect.client.schemas import filters

    with _common.sync_client() as client:
        task_run = _read_task_run(client, task_run_id)
        log_filter = filters.LogFilter(task_run_id=filters.LogFilterTaskRunId(any_=[task_run_id]))
        found = _logs.read_logs(
            client, log_filter, head=head, tail=tail, num_logs=num_logs, reverse=reverse
        )
    if not found and output is None:
        name = _common.field(task_run, "name")
        _common.err_console().print(f"No logs found for task run {name!r}.")
        return
    _logs.print_logs(found, {str(task_run_id): str(_common.field(task_run, "name"))}, output)


# -- reads -------------------------------------------------------------------------------------


def _read_task_run(client: Any, task_run_id: Any) -> Any:
    with _common.not_found_as_error("Task run", task_run_id):
        task_run = client.read_task_run(task_run_id)
    if task_run is None:
        _common.exit_with_error(f"Task run {str(task_run_id)!r} not found.")
    return task_run


def _read_task_runs(
    client: Any, flow_run_id: Any, types: list[str], names: list[str], limit: int
) -> list[Any]:
    from praefect.client.schemas import filters, sorting

    run_filter = None
    if flow_run_id is not None:
        run_filter = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[flow_run_id]))
    sort = sorting.TaskRunSort.EXPECTED_START_TIME_DESC

    def query(state_filter: Any) -> list[Any]:
        task_filter = (
            filters.TaskRunFilter(state=state_filter) if state_filter is not None else None
        )
        return list(
            client.read_task_runs(
                flow_run_filter=run_filter, task_run_filter=task_filter, sort=sort, limit=limit
            )
        )

    by_type = by_name = None
    if types:
        by_type = filters.TaskRunFilterState(type=filters.TaskRunFilterStateType(any_=types))
    if names:
        by_name = filters.TaskRunFilterState(name=filters.TaskRunFilterStateName(any_=names))
    if by_type is None or by_name is None:
        return query(by_type or by_name)
    # A type and a name filter in one query would AND them; the user asked for either.
    merged = {str(_common.field(t, "id")): t for t in query(by_type) + query(by_name)}
    return sorted(merged.values(), key=_common.newest_first_key, reverse=True)[:limit]


def _flow_run_names(client: Any, task_runs: list[Any]) -> dict[str, str]:
    import uuid

    from praefect.client.schemas import filters

    ids = sorted({str(i) for i in (_common.field(t, "flow_run_id") for t in task_runs) if i})
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = [uuid.UUID(i) for i in ids[start : start + 500]]
        run_filter = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=chunk))
        for run in client.read_flow_runs(flow_run_filter=run_filter, limit=len(chunk)):
            names[str(_common.field(run, "id"))] = str(_common.field(run, "name"))
    return names
