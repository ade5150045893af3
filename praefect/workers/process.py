"""``ProcessWorker``: runs each flow run of a ``process`` work pool in a local subprocess.

The subprocess is ``command`` (default: this Python running ``-m praefect.engine``) with the
job's ``env`` on top of the worker's environment and the worker's database or API settings,
started in ``working_dir`` in a session of its own, so that stopping it (SIGTERM to the whole
process group, then SIGKILL after the grace period) also stops what the flow started.

With the default command, the worker keeps one warm spare process (``python -m praefect.engine
--spare``: the interpreter started and praefect imported, waiting on its stdin); a claimed run
is handed to it with its environment and working directory, and a new spare is started for the
next run. That takes the interpreter's start-up (most of a second on a busy machine) out of the
time from submitting a run to its running. A run whose ``env`` sets what only a starting
interpreter reads (``PYTHONPATH``, ``LD_PRELOAD`` ...) gets a fresh process instead.

>>> worker = ProcessWorker(work_pool_name="local", limit=4)  # doctest: +SKIP
>>> worker.run_forever()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
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


def kill_process(process: subprocess.Popen[Any], grace_seconds: float) -> None:
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


def _read_at_interpreter_start(env: dict[str, Any]) -> bool:
    """Whether ``env`` sets variables that only a starting interpreter or loader reads
    (``PYTHONPATH``, ``PYTHONHASHSEED``, ``LD_PRELOAD`` ...): a warm spare has started already,
    so such a run needs a fresh process."""
    return any(key.startswith(("PYTHON", "LD_")) for key in env)


def _dismiss(spare: subprocess.Popen[str]) -> None:
    """Let an idle spare process go (it was given no run, so stopping it loses nothing)."""
    try:
        spare.stdin.close()  # type: ignore[union-attr]
    except (BrokenPipeError, OSError, ValueError):
        pass
    kill_process(spare, 10.0)


class ProcessWorker(BaseWorker):
    """A worker of a ``process`` pool: one local subprocess per flow run."""

    type = "process"
    job_configuration = ProcessJobConfiguration
    _default_base_job_template = PROCESS_BASE_JOB_TEMPLATE

    use_spare_process: bool = True
    """Keep a warm spare process for the next run (only used for the default command)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spare: subprocess.Popen[str] | None = None
        self._spare_lock = threading.Lock()
        self._spawners: list[threading.Thread] = []
        self._closing = False

    def setup(self) -> None:
        self._closing = False
        if self.use_spare_process:
            self._refill_spare()

    def teardown(self) -> None:
        self._closing = True
        for spawner in self._spawners:
            spawner.join()
        self._spawners.clear()
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            _dismiss(spare)

    def _refill_spare(self) -> None:
        self._spawners = [t for t in self._spawners if t.is_alive()]
        spawner = threading.Thread(target=self._spawn_spare, name="praefect-spare", daemon=True)
        self._spawners.append(spawner)
        spawner.start()

    def _spawn_spare(self) -> None:
        if self._closing:
            return
        spare = subprocess.Popen(
            [*default_command(), "--spare"],
            env={**os.environ, **_settings_environment()},
            stdin=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with self._spare_lock:
            old, self._spare = self._spare, spare
        if old is not None:
            _dismiss(old)

    def _take_spare(self) -> subprocess.Popen[str] | None:
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        if spare.poll() is not None:
            _dismiss(spare)
            return None
        return spare

    def run(self, flow_run: Any, configuration: BaseJobConfiguration) -> tuple[str, Any]:
        """Start the run's process (or hand the run to the warm spare); return
        ``hostname:pid`` and the ``Popen``."""
        assert isinstance(configuration, ProcessJobConfiguration)
        cwd = configuration.working_dir
        if cwd is not None and not Path(cwd).is_dir():
            raise ValueError(
                f"The working_dir {str(cwd)!r} of flow run {flow_run.id} does not exist."
            )
        if (
            self.use_spare_process
            and configuration.command is None
            and configuration.stream_output
            and not _read_at_interpreter_start(configuration.env)
        ):
            spare = self._take_spare()
            self._refill_spare()
            if spare is not None:
                message = {"flow_run_id": str(flow_run.id), "env": configuration.env, "cwd": cwd}
                try:
                    spare.stdin.write(json.dumps(message, default=str) + "\n")  # type: ignore[union-attr]
                    spare.stdin.close()  # type: ignore[union-attr]
                except (BrokenPipeError, ValueError):
                    pass  # the spare died meanwhile: start the run the plain way
                else:
                    return f"{hostname()}:{spare.pid}", spare
        command = configuration.command or default_command()
        if isinstance(command, str):
            command = shlex.split(command)
        env = {**os.environ, **_settings_environment()}
        for key, value in configuration.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
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
