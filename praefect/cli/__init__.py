"""The ``praefect`` command line: one typer app, one module per noun.

Commands are users of the public client (``praefect.get_client(sync_client=True)``), so they work
the same on the embedded store and against a remote server. Command modules import only typer
and rich at module level; the client, the database and pydantic load inside a command, which
keeps ``praefect --help`` fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from praefect.cli import config, flow, flow_run, profile, server, task_run, version

# -- work pools, queues, workers
from praefect.cli import work_pool, work_queue, worker  # noqa: E402  isort: skip

# -- deployments
from praefect.cli import deploy, deployment  # noqa: E402  isort: skip

__all__ = ["app", "main"]

app = typer.Typer(
    name="praefect",
    help="praefect: workflow orchestration for Python (Prefect 3 compatible).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    profile_name: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Use this profile for this command instead of the active one.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """praefect: workflow orchestration for Python (Prefect 3 compatible)."""
    if profile_name is None:
        return
    from praefect import settings
    from praefect.cli import _profiles

    _, data = _profiles.load()
    _profiles.require(data, profile_name)
    # The environment variable, so that flows this command runs see the same profile.
    os.environ["PRAEFECT_PROFILE"] = profile_name
    settings.reload_settings()


app.command("version")(version.version)
app.add_typer(config.app, name="config")
app.add_typer(profile.app, name="profile")
app.add_typer(profile.app, name="profiles", hidden=True)
app.add_typer(flow.app, name="flow")
app.add_typer(flow.app, name="flows", hidden=True)
app.add_typer(flow_run.app, name="flow-run")
app.add_typer(flow_run.app, name="flow-runs", hidden=True)
app.add_typer(task_run.app, name="task-run")
app.add_typer(task_run.app, name="task-runs", hidden=True)
app.add_typer(server.app, name="server")
# -- work pools, queues, workers
app.add_typer(work_pool.app, name="work-pool")
app.add_typer(work_pool.app, name="work-pools", hidden=True)
app.add_typer(work_queue.app, name="work-queue")
app.add_typer(work_queue.app, name="work-queues", hidden=True)
app.add_typer(worker.app, name="worker")
# -- deployments (the deployments issue)
app.add_typer(deployment.app, name="deployment")
app.add_typer(deployment.app, name="deployments", hidden=True)
app.command("deploy")(deploy.deploy)


def main() -> None:
    """Entry point of the ``praefect`` script."""
    try:
        app()
    except Exception as exc:
        from praefect.exceptions import ConfigurationError

        if not isinstance(exc, ConfigurationError):
            raise
        from praefect.cli import _common

        _common.err_console().print(f"Invalid configuration: {exc}", style="red", markup=False)
        sys.exit(1)
