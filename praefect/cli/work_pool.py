"""``praefect work-pool``: create, list, inspect, pause, resume and delete work pools."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="work-pool", help="Manage work pools.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The work pool's name.", show_default=False)]


def _read(client: Any, name: str) -> Any:
    from praefect import exceptions

    try:
        return client.read_work_pool(name)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(f"Work pool {name!r} not found.")


@app.command("create")
def create(
    name: NameArg,
    type: Annotated[str, typer.Option("--type", "-t", help="The pool's worker type.")] = "process",
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    base_job_template: Annotated[
        str | None,
        typer.Option(
            "--base-job-template",
            help="A JSON file with the base job template.",
            show_default=False,
        ),
    ] = None,
    concurrency_limit: Annotated[
        int | None,
        typer.Option("--concurrency-limit", min=0, help="Most runs at once.", show_default=False),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Update the pool if it exists.")
    ] = False,
) -> None:
    """Create a work pool (with a 'default' queue).

    Example: praefect work-pool create my-pool --type process
    """
    import json
    from pathlib import Path

    from praefect import exceptions

    template: dict[str, Any] = {}
    if base_job_template is not None:
        try:
            template = json.loads(Path(base_job_template).read_text())
        except (OSError, ValueError) as exc:
            _common.exit_with_error(
                f"Could not read the base job template {base_job_template!r}: {exc}"
            )
    body = {
        "name": name,
        "type": type,
        "is_paused": paused,
        "base_job_template": template,
        "concurrency_limit": concurrency_limit,
    }
    with _common.sync_client() as client:
        try:
            pool = client.create_work_pool(body, overwrite=overwrite)
        except exceptions.ObjectAlreadyExists:
            _common.exit_with_error(
                f"Work pool {name!r} already exists; use --overwrite to update it."
            )
        except ValueError as exc:
            _common.exit_with_error(str(exc))
    _common.console().print(
        f"Created work pool {pool.name!r} of type {pool.type!r}. Start a worker with:\n"
        f"    praefect worker start --pool {pool.name!r}",
        markup=False,
    )


@app.command("ls")
def ls(output: OutputOption = None) -> None:
    """List work pools.

    Example: praefect work-pool ls
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        pools = client.read_work_pools()
    _common.print_listing(
        pools,
        output,
        "No work pools found.",
        ["Name", "Type", "ID", "Status", "Concurrency limit"],
        lambda pool: [
            pool.name,
            pool.type,
            str(pool.id),
            str(pool.status),
            _common.limit_text(pool.concurrency_limit),
        ],
    )


@app.command("inspect")
def inspect(name: NameArg, output: OutputOption = None) -> None:
    """Show a work pool, its queues and workers.

    Example: praefect work-pool inspect my-pool
    """
    output = _common.check_output_format(output)
    with _common.sync_client() as client:
        pool = _read(client, name)
        queues = client.read_work_queues(work_pool_name=name)
        workers = client.read_workers_for_work_pool(name)
    if output == "json":
        data = _common.to_jsonable(pool)
        data["work_queues"] = _common.to_jsonable(queues)
        data["workers"] = _common.to_jsonable(workers)
        _common.print_json(data)
        return
    rows: list[tuple[str, Any]] = [
        ("Name", pool.name),
        ("ID", str(pool.id)),
        ("Type", pool.type),
        ("Status", str(pool.status)),
        ("Paused", _common.plain(pool.is_paused)),
        ("Concurrency limit", _common.limit_text(pool.concurrency_limit)),
        ("Description", pool.description or "-"),
        ("Queues", ", ".join(f"{q.name} (priority {q.priority})" for q in queues)),
        ("Workers", ", ".join(f"{w.name} ({w.status})" for w in workers) or "none"),
    ]
    _common.print_details(rows)


def _set_paused(name: str, paused: bool) -> None:
    with _common.sync_client() as client:
        _read(client, name)
        client.update_work_pool(name, {"is_paused": paused})
    _common.console().print(
        f"Work pool {name!r} {'paused' if paused else 'resumed'}.", markup=False
    )


@app.command("pause")
def pause(name: NameArg) -> None:
    """Pause a work pool: its workers start no new runs.

    Example: praefect work-pool pause my-pool
    """
    _set_paused(name, True)


@app.command("resume")
def resume(name: NameArg) -> None:
    """Resume a paused work pool.

    Example: praefect work-pool resume my-pool
    """
    _set_paused(name, False)


@app.command("delete")
def delete(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a work pool with its queues (its deployments and runs stay).

    Example: praefect work-pool delete my-pool --yes
    """
    with _common.sync_client() as client:
        _read(client, name)
        _common.confirm_or_exit(f"Delete work pool {name!r}?", yes)
        client.delete_work_pool(name)
    _common.console().print(f"Deleted work pool {name!r}.", markup=False)
