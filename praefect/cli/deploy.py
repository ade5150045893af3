"""``praefect deploy``: create or update deployments from an entrypoint and options, or from the
``deployments`` of a ``praefect.yaml`` project file (``prefect.yaml`` is read too).

A ``praefect.yaml``::

    name: my-project
    build: []                # steps run once before deploying (praefect.deployments.steps)
    push: []                 # steps run once after building
    pull:                    # steps a worker runs before each run (default: cd to this folder)
      - praefect.deployments.steps.set_working_directory:
          directory: /srv/flows
    deployments:
      - name: nightly
        entrypoint: flows/etl.py:etl
        parameters: {n: 3}
        tags: [etl]
        work_pool: {name: local, work_queue_name: default, job_variables: {}}
        schedules:
          - cron: "0 3 * * *"
            timezone: Europe/Paris

Options given on the command line win over the file. What is still missing (entrypoint, name,
work pool) is asked for when stdin is a terminal, unless ``--no-prompt``; otherwise the command
stops with an error naming the option to give.
"""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli.deployment import parse_json_object, parse_key_values
from praefect.utilities import templating

_PROJECT_FILES = ("praefect.yaml", "prefect.yaml")


def _load_project(path: Path | None) -> tuple[dict[str, Any], Path | None]:
    import yaml

    candidates = [path] if path is not None else [Path(name) for name in _PROJECT_FILES]
    for candidate in candidates:
        if candidate.is_file():
            try:
                data = yaml.safe_load(candidate.read_text()) or {}
            except yaml.YAMLError as exc:
                _common.exit_with_error(f"{candidate} is not valid YAML: {exc}")
            if not isinstance(data, dict):
                _common.exit_with_error(
                    f"{candidate} must hold a mapping (name, pull, deployments)."
                )
            deployments = data.get("deployments") or []
            if not isinstance(deployments, list) or not all(
                isinstance(d, dict) for d in deployments
            ):
                _common.exit_with_error(f"{candidate}: 'deployments' must be a list of mappings.")
            return data, candidate
    if path is not None:
        _common.exit_with_error(f"Project file {str(path)!r} not found.")
    return {}, None


def _variable_reader(client: Any) -> Any:
    """The value of a variable by name (or None), for ``{{ prefect.variables.name }}``."""

    def read(name: str) -> Any:
        variable = client.read_variable_by_name(name)
        return None if variable is None else variable.value

    return read


def _can_prompt(no_prompt: bool) -> bool:
    return not no_prompt and sys.stdin.isatty()


def _ask(label: str, option: str, interactive: bool, choices: list[str] | None = None) -> str:
    """Ask for a missing value on a terminal; else exit naming the option to give."""
    if not interactive:
        _common.exit_with_error(
            f"Missing {label}: give {option} (praefect deploy does not prompt when stdin is not "
            "a terminal or with --no-prompt)."
        )
    from rich.prompt import Prompt

    if choices:
        _common.console().print(f"Choose the {label}: " + ", ".join(choices))
    while True:
        answer = Prompt.ask(label[0].upper() + label[1:], console=_common.console()).strip()
        if answer:
            return answer


_SCHEDULE_OPTIONS = {"cron": "--cron", "interval": "--interval", "rrule": "--rrule"}


def _schedules_of(entries: list[Any], cli: dict[str, Any]) -> list[Any] | None:
    """Schedules from the command line (they win) or from the file; None: none given."""
    from praefect import schedules

    try:
        if cli["cron"] or cli["interval"] or cli["rrule"]:
            return schedules.deployment_schedules(
                cron=cli["cron"] or None,
                interval=cli["interval"] or None,
                rrule=cli["rrule"] or None,
                timezone=cli["timezone"],
                anchor_date=_dt.datetime.fromisoformat(cli["anchor_date"])
                if cli["anchor_date"]
                else None,
            )
        if not entries:
            return None
        built = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError(f"a schedule must be a mapping, got {entry!r}")
            options = {
                k: entry[k]
                for k in ("timezone", "active", "parameters", "slug")
                if entry.get(k) is not None
            }
            if entry.get("cron"):
                built.append(
                    schedules.Cron(entry["cron"], day_or=entry.get("day_or", True), **options)
                )
            elif entry.get("interval") is not None:
                anchor = entry.get("anchor_date")
                if isinstance(anchor, str):
                    anchor = _dt.datetime.fromisoformat(anchor)
                built.append(schedules.Interval(entry["interval"], anchor_date=anchor, **options))
            elif entry.get("rrule"):
                built.append(schedules.RRule(entry["rrule"], **options))
            else:
                raise ValueError(f"a schedule needs cron, interval or rrule; got {entry!r}")
        return built
    except (ValueError, TypeError) as exc:
        message = _common.input_error(exc, _SCHEDULE_OPTIONS)
        _common.exit_with_error(f"Invalid schedule: {message.removeprefix('invalid schedule: ')}")


def _select(
    project: dict[str, Any], entrypoint: str | None, names: list[str], all_: bool, interactive: bool
) -> list[dict[str, Any]]:
    """The deployment configurations to deploy (copies of the file's, or one new one)."""
    declared = [dict(d) for d in project.get("deployments") or []]
    if all_:
        if not declared:
            _common.exit_with_error("--all needs a praefect.yaml with deployments.")
        return declared
    if names:
        found = [d for d in declared if d.get("name") in names]
        if found and entrypoint is None:
            return found
        if len(names) > 1:
            missing = sorted(set(names) - {d.get("name") for d in found})
            _common.exit_with_error(
                f"Deployment(s) {', '.join(missing)} not found in the project file."
            )
        return [{**(found[0] if found else {}), "name": names[0]}]
    if entrypoint is None and declared:
        if len(declared) == 1:
            return declared
        choices = [str(d.get("name")) for d in declared]
        if not interactive:
            _common.exit_with_error(
                f"The project file has several deployments ({', '.join(choices)}): give "
                "--name NAME or --all."
            )
        picked = _ask("deployment to deploy", "--name", True, choices)
        return [d for d in declared if d.get("name") == picked] or [{"name": picked}]
    return [{}]


def deploy(
    entrypoint: Annotated[
        str | None,
        typer.Argument(
            help="The flow: ./path/to/file.py:function.", metavar="ENTRYPOINT", show_default=False
        ),
    ] = None,
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--name", "-n", help="The deployment's name (repeatable with a project file)."
        ),
    ] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", "-p", help="The work pool its runs go to.")
    ] = None,
    work_queue: Annotated[
        str | None, typer.Option("--work-queue", "-q", help="A queue of the work pool.")
    ] = None,
    cron: Annotated[
        list[str] | None, typer.Option("--cron", help="A cron schedule (repeatable).")
    ] = None,
    interval: Annotated[
        list[float] | None, typer.Option("--interval", help="Every N seconds (repeatable).")
    ] = None,
    rrule: Annotated[list[str] | None, typer.Option("--rrule", help="An RRULE schedule.")] = None,
    anchor_date: Annotated[
        str | None, typer.Option("--anchor-date", help="Interval start (ISO 8601).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="The schedules' IANA zone.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A default parameter KEY=VALUE.")
    ] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Default parameters as a JSON object.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag.")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    version: Annotated[str | None, typer.Option("--version")] = None,
    job_variable: Annotated[
        list[str] | None, typer.Option("--job-variable", help="A job variable KEY=VALUE.")
    ] = None,
    concurrency_limit: Annotated[int | None, typer.Option("--concurrency-limit", min=1)] = None,
    enforce_parameter_schema: Annotated[
        bool | None,
        typer.Option(
            "--enforce-parameter-schema/--no-enforce-parameter-schema",
            help="Check run parameters against the flow's signature (default: yes).",
            show_default=False,
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every deployment of the project file.")
    ] = False,
    project_file: Annotated[
        Path | None,
        typer.Option("--prefect-file", "--praefect-file", help="The project file to read."),
    ] = None,
    no_prompt: Annotated[
        bool, typer.Option("--no-prompt", help="Never ask; fail naming what is missing.")
    ] = False,
) -> None:
    """Create or update deployments of flows, to be run by the workers of a work pool.

    Example: praefect deploy ./flows/etl.py:etl -n nightly --pool local --cron '0 3 * * *'
    """
    interactive = _can_prompt(no_prompt)
    project, project_path = _load_project(project_file)
    cli_schedules = {
        "cron": cron,
        "interval": interval,
        "rrule": rrule,
        "timezone": timezone,
        "anchor_date": anchor_date,
    }
    configs = _select(project, entrypoint, names or [], all_, interactive)
    multiple = len(configs) > 1

    from praefect.deployments import steps

    outputs: dict[str, Any] = {}
    if project.get("build") or project.get("push"):
        try:
            outputs = steps.run_steps(
                list(project.get("build") or []) + list(project.get("push") or [])
            )
        except Exception as exc:
            _common.exit_with_error(f"A build or push step failed: {exc}")

    applied = []
    with _common.sync_client() as client:
        for config in configs:
            config = steps.resolve_references(config, outputs)
            config = templating.resolve_variables(config, _variable_reader(client))
            applied.append(
                _deploy_one(
                    client,
                    config,
                    project,
                    project_path,
                    outputs,
                    interactive,
                    entrypoint=None if multiple else entrypoint,
                    pool=pool,
                    work_queue=work_queue,
                    schedules=cli_schedules,
                    parameters={
                        **parse_json_object(params, "--params"),
                        **parse_key_values(param, "--param"),
                    },
                    tags=tag,
                    description=description,
                    version=version,
                    job_variables=parse_key_values(job_variable, "--job-variable"),
                    concurrency_limit=concurrency_limit,
                    enforce_parameter_schema=enforce_parameter_schema,
                )
            )
    out = _common.console()
    for full_name, deployment_id, _ in applied:
        out.print(
            f"Deployment '{full_name}' created or updated with id {deployment_id}.", soft_wrap=True
        )
        page = _common.ui_url(f"/deployments/deployment/{deployment_id}")
        if page:
            out.print(f"  UI: {page}", soft_wrap=True, markup=False)
    pools = sorted({p for _, _, p in applied})
    out.print("\nTo run them, start a worker of the work pool:", soft_wrap=True)
    for pool_name in pools:
        out.print(f"  praefect worker start --pool {pool_name}", soft_wrap=True)
    out.print("and trigger a run:", soft_wrap=True)
    for full_name, _, _ in applied:
        out.print(f"  praefect deployment run '{full_name}'", soft_wrap=True)


def _deploy_one(
    client: Any,
    config: dict[str, Any],
    project: dict[str, Any],
    project_path: Path | None,
    outputs: dict[str, Any],
    interactive: bool,
    *,
    entrypoint: str | None,
    pool: str | None,
    work_queue: str | None,
    schedules: dict[str, Any],
    parameters: dict[str, Any],
    tags: list[str] | None,
    description: str | None,
    version: str | None,
    job_variables: dict[str, Any],
    concurrency_limit: int | None,
    enforce_parameter_schema: bool | None,
) -> tuple[str, Any, str]:
    from praefect import exceptions
    from praefect.deployments.runner import RunnerDeployment

    work_pool = dict(config.get("work_pool") or {})
    entry = (
        entrypoint
        or config.get("entrypoint")
        or _ask("flow entrypoint (./path/to/file.py:function)", "ENTRYPOINT", interactive)
    )
    name = config.get("name") or _ask("deployment name", "--name", interactive)
    pool_name = pool or work_pool.get("name")
    if not pool_name:
        choices = [p.name for p in client.read_work_pools()] if interactive else None
        pool_name = _ask("work pool", "--pool", interactive, choices)
    if entry.startswith("./"):
        entry = entry[2:]
    schedule_list = _schedules_of(list(config.get("schedules") or []), schedules)
    pull = config.get("pull") if config.get("pull") is not None else project.get("pull")
    if not pull:
        pull = [
            {"praefect.deployments.steps.set_working_directory": {"directory": str(Path.cwd())}}
        ]
    options: dict[str, Any] = {
        "parameters": {**(config.get("parameters") or {}), **parameters},
        "tags": list(tags) if tags else list(config.get("tags") or []),
        "description": description or config.get("description"),
        "version": version or config.get("version"),
        "work_pool_name": pool_name,
        "work_queue_name": work_queue or work_pool.get("work_queue_name"),
        "job_variables": {**(work_pool.get("job_variables") or {}), **job_variables},
        "concurrency_limit": concurrency_limit or config.get("concurrency_limit"),
        "paused": config.get("paused"),
        "triggers": list(config.get("triggers") or []),
    }
    if schedule_list is not None:
        options["schedules"] = schedule_list
    enforce = enforce_parameter_schema
    if enforce is None:
        enforce = config.get("enforce_parameter_schema", True)
    options["enforce_parameter_schema"] = bool(enforce)
    try:
        deployment = RunnerDeployment.from_entrypoint(entry, name, **options)
    except (exceptions.MissingFlowError, exceptions.ScriptError) as exc:
        _common.exit_with_error(f"Cannot load the flow: {exc}")
    except ValueError as exc:
        _common.exit_with_error(f"Invalid deployment {name!r}: {exc}")
    deployment.pull_steps = steps_resolved(pull, outputs)
    deployment.path = None
    try:
        deployment_id = deployment.apply()
    except exceptions.ObjectNotFound as exc:
        _common.exit_with_error(str(exc))
    except ValueError as exc:
        _common.exit_with_error(f"Invalid deployment {name!r}: {exc}")
    return deployment.full_name, deployment_id, pool_name


def steps_resolved(pull: list[Any], outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The pull steps with build/push outputs filled in (``{{ step-id.key }}``)."""
    from praefect.deployments import steps

    return steps.resolve_references(list(pull), outputs)
