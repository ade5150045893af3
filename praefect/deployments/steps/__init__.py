"""Deployment steps (Prefect 3's ``prefect.deployments.steps``): the ``build``, ``push`` and
``pull`` actions of a ``praefect.yaml`` and of a deployment's ``pull_steps``.

A step is a mapping ``{"<dotted.function.name>": {<keyword arguments>}}``; the arguments may
name the outputs of an earlier step that has an ``id`` (``"{{ clone.directory }}"``) or an
environment variable (``"{{ $HOME }}"``). ``prefect.deployments.steps.*`` names work too.

>>> outputs = run_steps([{"praefect.deployments.steps.set_working_directory": {"directory": "."}}])
>>> outputs["directory"] == os.getcwd()
True
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "StepExecutionError",
    "git_clone",
    "pip_install_requirements",
    "run_shell_script",
    "run_step",
    "run_steps",
    "set_working_directory",
]

_TEMPLATE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


class StepExecutionError(RuntimeError):
    """A step failed (its name and the reason are in the message)."""


def set_working_directory(directory: str) -> dict[str, str]:
    """Make ``directory`` the working directory of this process (the flow's code is found
    from there).

    >>> set_working_directory(".") == {"directory": os.getcwd()}
    True
    """
    os.chdir(directory)
    return {"directory": os.getcwd()}


def git_clone(
    repository: str,
    branch: str | None = None,
    commit_sha: str | None = None,
    include_submodules: bool = False,
    access_token: str | None = None,
    credentials: Any = None,
    directory: str | None = None,
) -> dict[str, str]:
    """Clone ``repository`` (any URL or path ``git`` understands) into ``directory`` (default:
    a folder named after the repository and branch, under the working directory); an existing
    clone is updated instead. Return ``{"directory": <the clone>}``.

    >>> git_clone("https://github.com/org/repo.git", branch="main")  # doctest: +SKIP
    {'directory': 'repo-main'}
    """
    url = repository
    token = access_token or _token_of(credentials)
    if token and url.startswith("https://"):
        parts = urllib.parse.urlsplit(url)
        url = urllib.parse.urlunsplit(parts._replace(netloc=f"{token}@{parts.netloc}"))
    name = repository.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repository"
    target = Path(directory or (f"{name}-{branch}" if branch else name))
    if (target / ".git").exists():
        _git(["fetch", "--depth", "1", "origin", *([branch] if branch else [])], target, repository)
        _git(["reset", "--hard", "FETCH_HEAD"], target, repository)
    else:
        command = ["clone", url, str(target)]
        if commit_sha is None:
            command[1:1] = ["--depth", "1"]
        if branch:
            command[1:1] = ["--branch", branch]
        if include_submodules:
            command[1:1] = ["--recurse-submodules"]
        _git(command, None, repository)
    if commit_sha:
        _git(["checkout", commit_sha], target, repository)
    return {"directory": str(target.absolute())}


def _token_of(credentials: Any) -> str | None:
    if credentials is None:
        return None
    if isinstance(credentials, Mapping):
        value = credentials.get("access_token") or credentials.get("token")
    else:
        value = getattr(credentials, "access_token", None) or getattr(credentials, "token", None)
    get = getattr(value, "get_secret_value", None)
    return get() if get is not None else value


def _git(args: list[str], cwd: Path | None, repository: str) -> None:
    try:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise StepExecutionError("git_clone needs the `git` command, which is not installed.")
    except subprocess.CalledProcessError as exc:
        raise StepExecutionError(
            f"git {args[0]} of {repository!r} failed: {exc.stderr.strip() or exc.stdout.strip()}"
        ) from None


def run_shell_script(
    script: str,
    directory: str | None = None,
    env: Mapping[str, str] | None = None,
    stream_output: bool = True,
    expand_env_vars: bool = False,
) -> dict[str, str]:
    """Run each line of ``script`` as a command (no shell), in ``directory``; return the
    collected ``stdout`` and ``stderr``. A command that fails raises ``StepExecutionError``.

    >>> run_shell_script("echo hello", stream_output=False)["stdout"]
    'hello'
    """
    environment = {**os.environ, **(env or {})}
    stdout, stderr = [], []
    for line in script.splitlines():
        line = line.strip()
        if not line:
            continue
        if expand_env_vars:
            line = os.path.expandvars(line)
        result = subprocess.run(
            shlex.split(line), cwd=directory, env=environment, capture_output=True, text=True
        )
        if stream_output:
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
        stdout.append(result.stdout.strip())
        stderr.append(result.stderr.strip())
        if result.returncode != 0:
            raise StepExecutionError(
                f"`{line}` exited with code {result.returncode}: {result.stderr.strip()}"
            )
    return {"stdout": "\n".join(stdout).strip(), "stderr": "\n".join(stderr).strip()}


def pip_install_requirements(
    directory: str | None = None,
    requirements_file: str = "requirements.txt",
    stream_output: bool = True,
) -> dict[str, str]:
    """``pip install -r requirements_file`` (in ``directory``) with this interpreter."""
    script = f"{shlex.quote(sys.executable)} -m pip install -r {shlex.quote(requirements_file)}"
    return run_shell_script(script, directory=directory, stream_output=stream_output)


# -- running steps -------------------------------------------------------------------------------
def resolve_references(value: Any, outputs: Mapping[str, Any]) -> Any:
    """``value`` with its ``{{ step_id.key }}`` and ``{{ $ENV_VAR }}`` references filled in
    (references to anything else, such as job variables, are kept)."""
    if isinstance(value, dict):
        return {k: resolve_references(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, outputs) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(name: str) -> Any:
        if name.startswith("$"):
            return os.environ.get(name[1:], "")
        current: Any = outputs
        for part in name.split("."):
            if not isinstance(current, Mapping) or part not in current:
                return "{{ " + name + " }}"  # not ours (e.g. a job variable): keep it
            current = current[part]
        return current

    whole = _TEMPLATE.fullmatch(value.strip())
    if whole is not None:
        return lookup(whole.group(1))
    return _TEMPLATE.sub(lambda m: str(lookup(m.group(1))), value)


def _function(name: str) -> Any:
    if name.startswith("prefect."):
        name = "praefect." + name.removeprefix("prefect.")
    module_name, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        raise StepExecutionError(
            f"Unknown step {name!r}: expected the dotted name of a function, such as "
            "'praefect.deployments.steps.git_clone'."
        ) from None


def run_step(step: Mapping[str, Any], upstream_outputs: Mapping[str, Any] | None = None) -> Any:
    """Run one step ``{"dotted.name": {kwargs}}`` and return its output.

    >>> run_step({"praefect.deployments.steps.run_shell_script": {"script": "echo hi",
    ...                                                            "stream_output": False}})
    {'stdout': 'hi', 'stderr': ''}
    """
    if not isinstance(step, Mapping) or len(step) != 1:
        raise StepExecutionError(
            f"A step is a mapping with one key, the step's function name; got {step!r}."
        )
    [(name, arguments)] = step.items()
    arguments = dict(arguments or {})
    arguments.pop("id", None)
    arguments.pop("requires", None)
    return _function(name)(**resolve_references(arguments, upstream_outputs or {}))


def run_steps(
    steps: list[Mapping[str, Any]] | None, upstream_outputs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``steps`` in order; return every output merged (later steps win), each output
    also under its step's ``id``.

    >>> step = {"praefect.deployments.steps.run_shell_script":
    ...             {"script": "echo 1", "stream_output": False, "id": "say"}}
    >>> run_steps([step])["say"]["stdout"]
    '1'

    """
    outputs: dict[str, Any] = dict(upstream_outputs or {})
    for step in steps or []:
        [(_, arguments)] = (
            step.items() if isinstance(step, Mapping) and len(step) == 1 else [(None, None)]
        )
        output = run_step(step, outputs)
        if isinstance(output, Mapping):
            outputs.update(output)
        step_id = (arguments or {}).get("id") if isinstance(arguments, Mapping) else None
        if step_id:
            outputs[step_id] = output
    return outputs
