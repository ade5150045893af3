"""The ``praefect`` command line: one typer app, one module per noun.

Commands are users of the public client (``praefect.get_client(sync_client=True)``), so they work
the same on the embedded store and against a remote server. Command modules import only typer
and rich at module level; the client, the database and pydantic load inside a command, which
keeps ``praefect --help`` fast.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Annotated

import typer

from praefect.cli import (
    config,
    flow,
    flow_run,
    profile,
    server,
    spool,
    task,
    task_run,
    verify,
    version,
)

# -- work pools, queues, workers
from praefect.cli import work_pool, work_queue, worker  # noqa: E402  isort: skip

# -- deployments
from praefect.cli import deploy, deployment  # noqa: E402  isort: skip

# -- access
from praefect.cli import api_key  # noqa: E402  isort: skip

# -- for AI assistants
from praefect.cli import mcp  # noqa: E402  isort: skip

# -- automations
from praefect.cli import automation  # noqa: E402  isort: skip

# -- variables and artifacts
from praefect.cli import artifact, variable  # noqa: E402  isort: skip

# -- concurrency limits
from praefect.cli import concurrency_limit, global_concurrency_limit  # noqa: E402  isort: skip

# -- events
from praefect.cli import events  # noqa: E402  isort: skip

__all__ = ["app", "build_command", "main"]

_SETTINGS: dict[str, object] = {
    "name": "praefect",
    "help": "praefect: workflow orchestration for Python (Prefect 3 compatible).",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}
app = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]


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
# Each noun's group, named after its module, in the order --help lists them; the plural is a
# hidden alias (`praefect flow-runs ls`), but for the nouns Prefect has no plural of.
_NO_PLURAL = {"config", "server", "spool", "task", "worker", "variable", "artifact", "events"}
_NO_PLURAL.add("global-concurrency-limit")
_GROUPS: tuple[ModuleType, ...] = (config, profile, flow, flow_run, task, task_run, server, spool)
_GROUPS += (work_pool, work_queue, worker, deployment, api_key, automation, variable, artifact)
_GROUPS += (concurrency_limit, global_concurrency_limit, events)
for _module in _GROUPS:
    _name = _module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    app.add_typer(_module.app, name=_name)
    if _name not in _NO_PLURAL:
        app.add_typer(_module.app, name=f"{_name}s", hidden=True)
app.add_typer(global_concurrency_limit.app, name="gcl", hidden=True)
app.add_typer(events.app, name="event", hidden=True)  # Prefect's alias
app.command("deploy")(deploy.deploy)
app.command("verify")(verify.verify)
app.command("mcp")(mcp.mcp)


def _command_name(args: list[str]) -> str | None:
    """The command or group that ``args`` (the script's arguments) run, after the root's
    ``--profile``; None when another root option comes first (``--help``) or there is none.

    >>> _command_name(["-p", "dev", "server", "start"]), _command_name(["--help", "server"])
    ('server', None)
    """
    rest = iter(args)
    for arg in rest:
        if arg in ("--profile", "-p"):
            next(rest, None)
        elif arg.startswith("--profile=") or (arg.startswith("-p") and not arg.startswith("--")):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


def _app_for(name: str | None) -> typer.Typer | None:
    """``app`` with the root's options and only the command or group ``name`` (None when it has
    no such one). Typer builds the click command of every command on each run: ~60 ms for
    the whole CLI, ~4 ms for one group; usage, help and errors read the same."""
    groups = [group for group in app.registered_groups if group.name == name]
    commands = [command for command in app.registered_commands if command.name == name]
    if not groups and not commands:
        return None
    one = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]
    one.registered_callback = app.registered_callback
    one.registered_groups = groups
    one.registered_commands = commands
    return one


def build_command(typer_app: typer.Typer) -> typer.core.TyperGroup:
    """The click command of ``typer_app``: groups list their commands in rich's panels, but
    each command's own help is click's plain text, which wraps at any width, where rich's
    option table cuts option names at 80 columns and adds a ``<bool>`` column."""
    command = typer.main.get_command(typer_app)
    pending = [command]
    while pending:
        current = pending.pop()
        if isinstance(current, typer.core.TyperGroup):
            pending.extend(current.commands.values())
        elif isinstance(current, typer.core.TyperCommand):
            current.rich_markup_mode = None
    assert isinstance(command, typer.core.TyperGroup)
    return command


def main() -> None:
    """Entry point of the ``praefect`` script."""
    try:
        build_command(_app_for(_command_name(sys.argv[1:])) or app)(prog_name="praefect")
    except Exception as exc:
        from praefect.exceptions import ConfigurationError

        if not isinstance(exc, ConfigurationError):
            raise
        from praefect.cli import _common

        _common.err_console().print(f"Invalid configuration: {exc}", style="red", markup=False)
        sys.exit(1)
