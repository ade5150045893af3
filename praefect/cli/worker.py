"""``praefect worker start``: a worker that polls a work pool and runs its flow runs."""

from __future__ import annotations

from typing import Annotated

import typer

from praefect.cli import _common

app = typer.Typer(name="worker", help="Start workers.", no_args_is_help=True)


@app.command("start")
def start(
    pool: Annotated[
        str, typer.Option("--pool", "-p", help="The work pool to poll.", show_default=False)
    ],
    work_queue: Annotated[
        list[str] | None,
        typer.Option(
            "--work-queue", "-q", help="Only these queues (repeatable).", show_default=False
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="The worker's name.", show_default=False)
    ] = None,
    worker_type: Annotated[
        str, typer.Option("--type", "-t", help="The worker type (only: process).")
    ] = "process",
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-l", min=1, help="Most runs at once.", show_default=False),
    ] = None,
    prefetch_seconds: Annotated[
        float | None,
        typer.Option(
            "--prefetch-seconds", min=0, help="Take runs due this soon.", show_default=False
        ),
    ] = None,
    run_once: Annotated[
        bool, typer.Option("--run-once", help="Poll once, wait for those runs, exit.")
    ] = False,
    create_pool: Annotated[
        bool,
        typer.Option(
            "--create-pool-if-not-found/--no-create-pool-if-not-found",
            help="Create the pool when it does not exist.",
        ),
    ] = True,
) -> None:
    """Start a worker: poll a work pool for Scheduled flow runs and run each in a subprocess.
    Stop it with Ctrl-C or SIGTERM (runs still going are stopped and marked Crashed).

    Example: praefect worker start --pool my-pool --limit 4
    """
    if worker_type != "process":
        _common.exit_with_error(
            f"Worker type {worker_type!r} is not supported; the available type is: process."
        )
    from praefect import exceptions
    from praefect.utilities import wakeup
    from praefect.workers import ProcessWorker

    try:
        worker = ProcessWorker(
            work_pool_name=pool,
            work_queues=work_queue,
            name=name,
            limit=limit,
            prefetch_seconds=prefetch_seconds,
            create_pool_if_not_found=create_pool,
        )
    except ValueError as exc:
        _common.exit_with_error(str(exc))

    if create_pool:
        try:
            worker.client.read_work_pool(pool)
        except exceptions.ObjectNotFound:
            _common.warn(
                f"Work pool {pool!r} does not exist: creating it (type {worker.type!r}). "
                "Give --no-create-pool-if-not-found to refuse instead."
            )
    queues = f" (queues: {', '.join(work_queue)})" if work_queue else ""
    _common.console().print(
        f"Worker {worker.name!r} started, polling work pool {pool!r}{queues}.", markup=False
    )
    try:
        with wakeup.stopped_by_signals(worker.stop):
            worker.run_forever(run_once=run_once)
    except exceptions.ObjectNotFound:
        _common.exit_with_error(
            f"Work pool {pool!r} not found (create it with `praefect work-pool create {pool}`)."
        )
    _common.console().print(f"Worker {worker.name!r} stopped.", markup=False)
