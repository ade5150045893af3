"""``praefect work-queue``: create, list, inspect, pause, resume and delete the queues of a
work pool."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="work-queue", help="Manage work queues.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The work queue's name.", show_default=False)]
PoolOption = Annotated[
    str, typer.Option("--pool", "-p", help="The work pool of the queue.", show_default=False)
]


def _read(client: Any, name: str, pool: str) -> Any:
    from praefect import exceptions

    try:
        return client.read_work_queue_by_name(name, work_pool_name=pool)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(f"Work queue {name!r} of work pool {pool!r} not found.")


@app.command("create")
def create(
    name: NameArg,
    pool: PoolOption,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-l", min=0, help="Most runs at once.", show_default=False),
    ] = None,
    priority: Annotated[
        int | None,
        typer.Option("--priority", "-q", min=1, help="Lower runs first.", show_default=False),
    ] = None,
) -> None:
    """Create a queue in a work pool.

    Example: praefect work-queue create urgent --pool my-pool --priority 1
    """
    from praefect import exceptions

    with _common.sync_client() as client:
        try:
            queue = client.create_work_queue(
                name, limit=limit, priority=priority, work_pool_name=pool
            )
        except exceptions.ObjectAlreadyExists:
            _common.exit_with_error(f"Work queue {name!r} already exists in work pool {pool!r}.")
        except exceptions.ObjectNotFound:
            _common.exit_with_error(f"Work pool {pool!r} not found.")
    _common.console().print(
        f"Created work queue {queue.name!r} in work pool {pool!r} (priority {queue.priority}).",
        markup=False,
    )


@app.command("ls")
def ls(
    pool: Annotated[
        str | None,
        typer.Option("--pool", "-p", help="Only this pool's queues.", show_default=False),
    ] = None,
    output: OutputOption = None,
) -> None:
    """List work queues (of one pool, or of all).

    Example: praefect work-queue ls --pool my-pool
    """
    output = _common.check_output_format(output)
    from praefect import exceptions

    with _common.sync_client() as client:
        try:
            queues = client.read_work_queues(work_pool_name=pool)
        except exceptions.ObjectNotFound:
            _common.exit_with_error(f"Work pool {pool!r} not found.")
    _common.print_listing(
        queues,
        output,
        "No work queues found.",
        ["Name", "Pool", "ID", "Priority", "Status", "Concurrency limit"],
        lambda q: [
            q.name,
            str(q.work_pool_name),
            str(q.id),
            str(q.priority),
            str(q.status),
            _common.limit_text(q.concurrency_limit),
        ],
    )


@app.command("inspect")
def inspect(name: NameArg, pool: PoolOption, output: OutputOption = None) -> None:
    """Show a work queue.

    Example: praefect work-queue inspect default --pool my-pool
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        queue = _read(client, name, pool)
    if output == "json":
        _common.print_json(queue)
        return
    _common.print_details(
        [
            ("Name", queue.name),
            ("ID", str(queue.id)),
            ("Work pool", str(queue.work_pool_name)),
            ("Priority", str(queue.priority)),
            ("Status", str(queue.status)),
            ("Paused", _common.plain(queue.is_paused)),
            ("Concurrency limit", _common.limit_text(queue.concurrency_limit)),
            ("Last polled", _common.format_time(queue.last_polled)),
        ]
    )


def _set_paused(name: str, pool: str, paused: bool) -> None:
    with _common.sync_client() as client:
        queue = _read(client, name, pool)
        client.update_work_queue(queue.id, is_paused=paused)
    word = "paused" if paused else "resumed"
    _common.console().print(f"Work queue {name!r} of work pool {pool!r} {word}.", markup=False)


@app.command("pause")
def pause(name: NameArg, pool: PoolOption) -> None:
    """Pause a work queue: workers take no runs from it.

    Example: praefect work-queue pause urgent --pool my-pool
    """
    _set_paused(name, pool, True)


@app.command("resume")
def resume(name: NameArg, pool: PoolOption) -> None:
    """Resume a paused work queue.

    Example: praefect work-queue resume urgent --pool my-pool
    """
    _set_paused(name, pool, False)


@app.command("delete")
def delete(
    name: NameArg,
    pool: PoolOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a work queue (not a pool's default queue).

    Example: praefect work-queue delete urgent --pool my-pool --yes
    """
    with _common.sync_client() as client:
        queue = _read(client, name, pool)
        _common.confirm_or_exit(f"Delete work queue {name!r}?", yes)
        try:
            client.delete_work_queue_by_id(queue.id)
        except ValueError as exc:
            _common.exit_with_error(str(exc))
    _common.console().print(f"Deleted work queue {name!r} of work pool {pool!r}.", markup=False)
