"""Reading and printing run logs (shared by ``flow-run logs`` and ``task-run logs``)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from praefect.cli import _common

PAGE_SIZE = 1000
DEFAULT_NUM_LOGS = 20

HeadOption = Annotated[
    bool, typer.Option("--head", "-h", help="Show the first 20 logs (or --num-logs).")
]
NumLogsOption = Annotated[
    int | None,
    typer.Option("--num-logs", "-n", help="How many logs to show.", show_default=False),
]
ReverseOption = Annotated[bool, typer.Option("--reverse", "-r", help="Newest logs first.")]
TailOption = Annotated[
    bool, typer.Option("--tail", "-t", help="Show the last 20 logs (or --num-logs).")
]


def read_logs(
    client: Any,
    log_filter: Any,
    *,
    head: bool,
    tail: bool,
    num_logs: int | None,
    reverse: bool,
) -> list[Any]:
    """The logs to show, in display order.

    ``--head``/``--tail`` show the first/last ``num_logs`` (20 by default); ``-n`` alone limits
    the count; ``--reverse`` shows newest first.
    """
    from praefect.client.schemas import sorting

    if head and tail:
        _common.exit_with_error("Use either --head or --tail, not both.")
    if num_logs is not None and num_logs < 1:
        _common.exit_with_error(f"--num-logs must be at least 1, got {num_logs}.")
    if (head or tail) and num_logs is None:
        num_logs = DEFAULT_NUM_LOGS
    sort = sorting.LogSort.TIMESTAMP_DESC if (tail or reverse) else sorting.LogSort.TIMESTAMP_ASC
    logs: list[Any] = []
    offset = 0
    while num_logs is None or len(logs) < num_logs:
        page_size = PAGE_SIZE if num_logs is None else min(PAGE_SIZE, num_logs - len(logs))
        page = list(
            client.read_logs(log_filter=log_filter, limit=page_size, offset=offset, sort=sort)
        )
        logs.extend(page)
        offset += len(page)
        if len(page) < page_size:
            break
    if tail and not reverse:
        logs.reverse()  # the last N were read newest first; show them oldest first
    return logs


def level_name(level: Any) -> str:
    import logging

    if isinstance(level, int):
        return logging.getLevelName(level)
    return str(level)


def print_logs(
    logs: list[Any],
    task_names: dict[str, str],
    output: str | None,
    flow_run_name: str | None = None,
) -> None:
    """One line per log: timestamp | level | source | message.

    The source is the task run's name for a task's logs; for the flow's own logs it is the flow
    run's name (or the logger's name for a logger that is not praefect's).
    """
    if output == "json":
        records = []
        for log in logs:
            record = _common.to_jsonable(log)
            if isinstance(record, dict):
                record["level_name"] = level_name(_common.field(log, "level"))
                task_run_id = _common.field(log, "task_run_id")
                if task_run_id is not None:
                    record["task_run_name"] = task_names.get(str(task_run_id))
            records.append(record)
        _common.print_json(records)
        return
    lines = []
    for log in logs:
        task_run_id = _common.field(log, "task_run_id")
        source = None
        if task_run_id is not None:
            source = task_names.get(str(task_run_id))
        if source is None:
            logger = str(_common.field(log, "name") or "")
            source = flow_run_name if flow_run_name and logger.startswith("praefect") else logger
        source = source or "-"
        lines.append(
            f"{_common.format_log_time(_common.field(log, 'timestamp'))} | "
            f"{level_name(_common.field(log, 'level')):<8} | {source} - "
            f"{_common.field(log, 'message')}\n"
        )
    # Plain text: log messages are user data and must not be read as rich markup.
    sys.stdout.write("".join(lines))
    sys.stdout.flush()


FINAL_STATE_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
FOLLOW_WINDOW_SECONDS = 120.0
"""How far before the newest log seen each poll looks again: logs are written in batches, so one
with an earlier timestamp can arrive after a later one (ids already printed are skipped)."""


def follow_flow_run_logs(
    run_id: Any,
    *,
    tail: bool,
    num_logs: int | None,
    interval: float,
    output: str | None,
    read_run: Any,
    task_run_names: Any,
) -> None:
    """Print a flow run's logs, then keep polling and printing new ones until the run is in a
    final state and a poll after that finds nothing new (so the last lines written by the run's
    process are not missed)."""
    import datetime as dt
    import time

    from praefect.client.schemas import filters, sorting

    run_filter = filters.LogFilterFlowRunId(any_=[run_id])
    seen: set[str] = set()
    names: dict[str, str] = {}
    newest: dt.datetime | None = None

    def emit(client: Any, found: list[Any], run_name: str) -> None:
        nonlocal newest
        fresh = [log for log in found if str(_common.field(log, "id")) not in seen]
        if not fresh:
            return
        fresh.sort(key=_common.timestamp)
        unknown = [
            log
            for log in fresh
            if _common.field(log, "task_run_id") is not None
            and str(_common.field(log, "task_run_id")) not in names
        ]
        if unknown:
            names.update(task_run_names(client, unknown))
        for log in fresh:
            seen.add(str(_common.field(log, "id")))
            stamp = _common.as_datetime(_common.field(log, "timestamp"))
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
        if output == "json":
            lines = []
            for log in fresh:
                record = _common.to_jsonable(log)
                record["level_name"] = level_name(_common.field(log, "level"))
                task_run_id = _common.field(log, "task_run_id")
                if task_run_id is not None:
                    record["task_run_name"] = names.get(str(task_run_id))
                lines.append(json.dumps(record, default=str) + "\n")
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
        else:
            print_logs(fresh, names, None, flow_run_name=run_name)

    def poll(client: Any) -> list[Any]:
        after = None if newest is None else newest - dt.timedelta(seconds=FOLLOW_WINDOW_SECONDS)
        log_filter = filters.LogFilter(
            flow_run_id=run_filter,
            timestamp=filters.LogFilterTimestamp(after_=after) if after is not None else None,
        )
        found: list[Any] = []
        offset = 0
        while True:
            page = list(
                client.read_logs(
                    log_filter=log_filter,
                    limit=PAGE_SIZE,
                    offset=offset,
                    sort=sorting.LogSort.TIMESTAMP_ASC,
                )
            )
            found.extend(page)
            offset += len(page)
            if len(page) < PAGE_SIZE:
                return found

    state_name = None
    try:
        with _common.sync_client() as client:
            run = read_run(client, run_id)
            run_name = str(_common.field(run, "name"))
            if tail or num_logs is not None:
                log_filter = filters.LogFilter(flow_run_id=run_filter)
                first = read_logs(
                    client, log_filter, head=False, tail=True, num_logs=num_logs, reverse=False
                )
                emit(client, first, run_name)
                if newest is not None:  # skip the earlier logs; newer ones are printed below
                    shown_until = newest
                    seen.update(
                        str(_common.field(log, "id"))
                        for log in poll(client)
                        if _common.timestamp(log) <= shown_until
                    )
            final = False
            while True:
                state_type, state_name = _common.state_of(read_run(client, run_id))
                before = len(seen)
                emit(client, poll(client), run_name)
                if final and len(seen) == before:
                    break
                final = state_type in FINAL_STATE_TYPES
                time.sleep(interval)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    _common.err_console().print(
        f"Flow run {run_name!r} is {state_name}; no more logs to follow.", markup=False
    )
