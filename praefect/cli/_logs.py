"""Reading and printing run logs (shared by ``flow-run logs`` and ``task-run logs``)."""

from __future__ import annotations

import sys
from typing import Any

from praefect.cli import _common

PAGE_SIZE = 1000
DEFAULT_NUM_LOGS = 20


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
