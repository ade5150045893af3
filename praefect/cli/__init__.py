"""The ``praefect`` command line: one typer app, one module per noun.

Commands are users of the public client (``praefect.get_client(sync_client=True)``), so they work
the same on the embedded store and against a remote server. Command modules import only typer
and rich at module level; the client, the database and pydantic load inside a command, which
keeps ``praefect --help`` fast.
"""

from __future__ import annotations

import typer

from praefect.cli import flow, flow_run, server, task_run, version

__all__ = ["app", "main"]

app = typer.Typer(
    name="praefect",
    help="praefect: workflow orchestration for Python (Prefect 3 compatible).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("version")(version.version)
app.add_typer(flow.app, name="flow")
app.add_typer(flow.app, name="flows", hidden=True)
app.add_typer(flow_run.app, name="flow-run")
app.add_typer(flow_run.app, name="flow-runs", hidden=True)
app.add_typer(task_run.app, name="task-run")
app.add_typer(task_run.app, name="task-runs", hidden=True)
app.add_typer(server.app, name="server")


def main() -> None:
    """Entry point of the ``praefect`` script."""
    app()
