"""``praefect task serve``: run a task worker for background tasks (``Task.delay()``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common

app = typer.Typer(
    name="task",
    help="Serve background tasks (runs scheduled with Task.delay()).",
    no_args_is_help=True,
)


@app.command("serve")
def serve(
    entrypoints: Annotated[
        list[str] | None,
        typer.Argument(
            help="The tasks to serve, each as path/to/file.py:task_name.",
            metavar="ENTRYPOINTS",
            show_default=False,
        ),
    ] = None,
    module: Annotated[
        list[str] | None,
        typer.Option(
            "--module",
            "-m",
            help="Serve every task of this module (package.module; repeatable).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=1, help="The most task runs this worker runs at once."),
    ] = 10,
) -> None:
    """Run a task worker: it runs the background runs ('.delay()') of the given tasks until
    interrupted (Ctrl-C).

    Example: praefect task serve tasks.py:send_email tasks.py:resize_image --limit 20
    """
    import importlib

    from praefect import task_worker
    from praefect.tasks import Task
    from praefect.utilities import importtools

    tasks: list[Task[Any, Any]] = []
    for entrypoint in entrypoints or []:
        obj = importtools.load_entrypoint(entrypoint)
        if not isinstance(obj, Task):
            _common.exit_with_error(
                f"{entrypoint!r} is not a task (a function decorated with @task), it is a "
                f"{type(obj).__name__}."
            )
        tasks.append(obj)
    for name in module or []:
        found = [v for v in vars(importlib.import_module(name)).values() if isinstance(v, Task)]
        if not found:
            _common.exit_with_error(
                f"Module {name!r} defines no task (no function decorated with @task)."
            )
        tasks.extend(found)
    if not tasks:
        _common.exit_with_error(
            "Give the tasks to serve: praefect task serve path/to/file.py:task_name"
            " (or --module package.module)."
        )
    names = ", ".join(sorted({t.name for t in tasks}))
    _common.console().print(f"Task worker serving {names} (limit {limit}); Ctrl-C to stop.")
    task_worker.serve(*tasks, limit=limit)
