"""``ProcessWorker``: runs each flow run of a ``process`` work pool in a local subprocess.

The subprocess is ``command`` (default: this Python running ``-m praefect.engine``) with the
job's ``env`` on top of the worker's environment and the worker's database or API settings,
started in ``working_dir`` in a session of its own, so that stopping it (SIGTERM to the whole
process group, then SIGKILL after the grace period) also stops what the flow started.

>>> worker = ProcessWorker(work_pool_name="local", limit=4)  # doctest: +SKIP
>>> worker.run_forever()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from praefect.schemas.job_templates import PROCESS_BASE_JOB_TEMPLATE
from praefect.workers.base import BaseJobConfiguration, BaseWorker, hostname

__all__ = ["ProcessJobConfiguration", "ProcessWorker", "default_command", "kill_process"]


def default_command() -> list[str]:
    """The command that executes the flow run named by ``PRAEFECT__FLOW_RUN_ID``."""
    return [sys.executable, "-m", "praefect.engine"]


def _settings_environment() -> dict[str, str]:
    """The settings a run's process needs to reach the same store or server as this one."""
    from praefect.settings import get_current_settings

    settings = get_current_settings()
    env = {"PRAEFECT_HOME": str(settings.home_path)}
    if settings.api_url:
        env["PRAEFECT_API_URL"] = settings.api_url
        if settings.api_key:
            env["PRAEFECT_API_KEY"] = settings.api_key
        if settings.api_auth_string:
            env["PRAEFECT_API_AUTH_STRING"] = settings.api_auth_string
    else:
        env["PRAEFECT_DATABASE_URL"] = settings.resolved_database_url
    return env


@dataclass
class ProcessJobConfiguration(BaseJobConfiguration):
    """A process job: a command, its environment and working directory."""

    stream_output: bool = True
    """Whether the process's output goes to the worker's (else it is discarded)."""
    working_dir: str | Path | None = None
    """Where the process starts (default: the worker's working directory)."""

    def prepare_for_flow_run(self, flow_run: Any, deployment: Any = None, flow: Any = None) -> None:
        super().prepare_for_flow_run(flow_run, deployment, flow)
        if self.working_dir is not None:
            self.working_dir = Path(self.working_dir).expanduser()


def kill_process(process: subprocess.Popen, grace_seconds: float) -> None:
    """SIGTERM the process's group, then SIGKILL it if it is still there after
    ``grace_seconds``."""
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            process.send_signal(sig)
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class ProcessWorker(BaseWorker):
    """A worker of a ``process`` pool: one local subprocess per flow run."""

    type = "process"
    job_configuration = ProcessJobConfiguration
    _default_base_job_template = PROCESS_BASE_JOB_TEMPLATE

    def run(self, flow_run: Any, configuration: BaseJobConfiguration) -> tuple[str, Any]:
        """Start the run's process; return ``hostname:pid`` and the ``Popen``."""
        assert isinstance(configuration, ProcessJobConfiguration)
        command = configuration.command or default_command()
        if isinstance(command, str):
            command = shlex.split(command)
        env = {**os.environ, **_settings_environment()}
        for key, value in configuration.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        cwd = configuration.working_dir
        if cwd is not None and not Path(cwd).is_dir():
            raise ValueError(
                f"The working_dir {str(cwd)!r} of flow run {flow_run.id} does not exist."
            )
        output = None if configuration.stream_output else subprocess.DEVNULL
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
        return f"{hostname()}:{process.pid}", process

    def wait(self, handle: Any) -> int:
        return handle.wait()

    def kill_infrastructure(self, handle: Any, grace_seconds: float) -> None:
        kill_process(handle, grace_seconds)
