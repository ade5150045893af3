"""``BaseWorker``: poll a work pool, claim its due runs, start each on infrastructure, watch it.

The loop, every ``PRAEFECT_WORKER_QUERY_SECONDS``:

1. ask the pool for Scheduled runs due within ``prefetch_seconds`` (queues by priority);
2. claim each by proposing Pending: the server's rules abort a second Pending, so of two
   workers that saw the same run exactly one starts it;
3. render the job configuration (the pool's base job template, its variables overridden by the
   deployment's ``job_variables``, then the run's) and ``run()`` it; the process id is recorded
   as the run's ``infrastructure_pid``;
4. when the process exits, report it: a run left Cancelling becomes Cancelled, one left Running
   (or Pending, with a non-zero exit code) becomes Crashed, and the rules reschedule a crashed
   deployment run that has retries left;
5. kill the process of any of its runs that was asked to cancel (SIGTERM, then SIGKILL after
   ``PRAEFECT_WORKER_KILL_GRACE_SECONDS``), even when the flow's code is hung.

Every ``PRAEFECT_WORKER_HEARTBEAT_SECONDS`` it heartbeats, which keeps it ``ONLINE`` and the pool
``READY``. The core is synchronous (threads); ``start()`` is the awaitable face Prefect users
know, ``run_forever()`` the blocking one the CLI uses.

>>> async with ProcessWorker(work_pool_name="local") as worker:  # doctest: +SKIP
...     await worker.start(run_once=True)
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as _dt
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from praefect import exceptions, states
from praefect.schemas.states import StateType
from praefect.utilities import templating, wakeup
from praefect.utilities.fields import field as _field

__all__ = ["BaseJobConfiguration", "BaseWorker", "BaseWorkerResult"]

_logger = logging.getLogger("praefect.worker")
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")
_LEFT_BY_A_PROCESS = frozenset({StateType.PENDING, StateType.RUNNING, StateType.CANCELLING})
"""The states a run's process may leave it in when it ends: only these are reported."""


def _render(template: Any, values: Mapping[str, Any]) -> Any:
    """``template`` with each ``{{ name }}`` replaced by ``values[name]``: a string that is one
    placeholder becomes the value itself (any type, None when missing), a placeholder inside
    text becomes its text."""
    if isinstance(template, dict):
        return {key: _render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_render(item, values) for item in template]
    if not isinstance(template, str):
        return template
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole:
        return values.get(whole.group(1))
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), template)


def job_variables(
    base_job_template: Mapping[str, Any], *overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The template variables' defaults, overridden in turn by each mapping (the deployment's
    ``job_variables``, then the run's)."""
    properties = (base_job_template.get("variables") or {}).get("properties") or {}
    values = {k: spec["default"] for k, spec in properties.items() if "default" in spec}
    for override in overrides:
        values.update(override or {})
    return values


@dataclass
class BaseJobConfiguration:
    """What a worker needs to start one run, rendered from the pool's base job template."""

    command: str | list[str] | None = None
    """The command that runs the flow (default: this Python running ``praefect.engine``)."""
    env: dict[str, str | None] = field(default_factory=dict)
    """Environment variables for the run's process (None removes a variable)."""
    labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None

    @classmethod
    def from_template_and_values(
        cls, base_job_template: Mapping[str, Any], values: Mapping[str, Any]
    ) -> BaseJobConfiguration:
        """Render the template's ``job_configuration`` with ``values`` (unknown keys are
        ignored; None means the default)."""
        rendered = _render(base_job_template.get("job_configuration") or {}, values)
        known = {f for f in cls.__dataclass_fields__}
        fields = {k: v for k, v in rendered.items() if k in known and v is not None}
        for name in ("env", "labels"):
            if not isinstance(fields.get(name, {}), dict):
                raise ValueError(
                    f"Job variable {name!r} must be a mapping of names to values, not "
                    f"{fields[name]!r}."
                )
        return cls(**fields)

    def prepare_for_flow_run(self, flow_run: Any, deployment: Any = None, flow: Any = None) -> None:
        """Add what every run's process needs: its id in ``PRAEFECT__FLOW_RUN_ID`` (and
        Prefect's ``PREFECT__FLOW_RUN_ID``) and a name."""
        self.env = {
            **self.env,
            "PRAEFECT__FLOW_RUN_ID": str(flow_run.id),
            "PREFECT__FLOW_RUN_ID": str(flow_run.id),
        }
        self.labels = {**self.labels, "praefect.io/flow-run-id": str(flow_run.id)}
        self.name = self.name or flow_run.name


@dataclass
class BaseWorkerResult:
    """How a run's infrastructure ended."""

    identifier: str
    """The infrastructure's id (``hostname:pid`` for a process)."""
    status_code: int


@dataclass
class _Job:
    flow_run_id: uuid.UUID
    handle: Any
    identifier: str
    killing: bool = False


class BaseWorker:
    """A worker of one work pool (subclasses say how a run's infrastructure is started and
    stopped: ``run``, ``wait``, ``kill_infrastructure``)."""

    type: ClassVar[str] = ""
    # builtins.type: the class attribute `type` above shadows it in this body
    job_configuration: ClassVar[builtins.type[BaseJobConfiguration]] = BaseJobConfiguration
    _default_base_job_template: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        work_pool_name: str,
        work_queues: list[str] | None = None,
        name: str | None = None,
        prefetch_seconds: float | None = None,
        create_pool_if_not_found: bool = True,
        limit: int | None = None,
        heartbeat_interval_seconds: float | None = None,
        base_job_template: dict[str, Any] | None = None,
        *,
        query_seconds: float | None = None,
        kill_grace_seconds: float | None = None,
        client: Any = None,
    ) -> None:
        from praefect.settings import get_current_settings

        settings = get_current_settings()
        if not work_pool_name:
            raise ValueError("A worker needs the name of the work pool it polls.")
        if limit is not None and limit < 1:
            raise ValueError(f"Worker limit {limit!r} is not valid: give 1 or more runs.")
        self.work_pool_name = work_pool_name
        self.work_queues = list(work_queues or [])
        self.name = name or f"{type(self).__name__} {uuid.uuid4()}"
        self.prefetch_seconds = (
            settings.worker_prefetch_seconds if prefetch_seconds is None else prefetch_seconds
        )
        self.create_pool_if_not_found = create_pool_if_not_found
        self.limit = limit
        self.heartbeat_interval_seconds = (
            heartbeat_interval_seconds or settings.worker_heartbeat_seconds
        )
        self.query_seconds = (
            settings.worker_query_seconds if query_seconds is None else query_seconds
        )
        self.kill_grace_seconds = (
            settings.worker_kill_grace_seconds if kill_grace_seconds is None else kill_grace_seconds
        )
        self.base_job_template = base_job_template
        self.work_pool: Any = None
        self._client_given = client
        self._client: Any = None
        self._jobs: dict[uuid.UUID, _Job] = {}
        self._jobs_lock = threading.Lock()
        self._watchers: list[threading.Thread] = []
        # set by stop(), maybe from a signal handler: a Wakeup, never a threading.Event
        self._stop = wakeup.Wakeup()
        self._last_heartbeat = 0.0
        self.submitted = 0
        """Runs this worker started."""

    # -- the pieces subclasses provide ----------------------------------------------------------
    @classmethod
    def get_default_base_job_template(cls) -> dict[str, Any]:
        """The base job template a pool of this worker's type is created with."""
        import copy

        return copy.deepcopy(cls._default_base_job_template)

    def run(self, flow_run: Any, configuration: BaseJobConfiguration) -> tuple[str, Any]:
        """Start the run's infrastructure; return its identifier and a handle for ``wait``."""
        raise NotImplementedError

    def wait(self, handle: Any) -> int:
        """Block until the infrastructure of ``handle`` ends; return its exit status."""
        raise NotImplementedError

    def kill_infrastructure(self, handle: Any, grace_seconds: float) -> None:
        """Stop the infrastructure of ``handle`` (politely, then after ``grace_seconds`` not)."""
        raise NotImplementedError

    # -- setup and heartbeats ---------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from praefect.client.orchestration import SyncPrefectClient

            self._client = self._client_given or SyncPrefectClient()
        return self._client

    def sync_with_backend(self) -> None:
        """Read the pool (creating it, with this type's template, when missing and allowed) and
        send a heartbeat."""
        try:
            self.work_pool = self.client.read_work_pool(self.work_pool_name)
        except exceptions.ObjectNotFound:
            if not self.create_pool_if_not_found:
                raise
            template = self.base_job_template or self.get_default_base_job_template()
            body = {"name": self.work_pool_name, "type": self.type, "base_job_template": template}
            try:
                self.work_pool = self.client.create_work_pool(body)
                _logger.info("Created work pool %r of type %r.", self.work_pool_name, self.type)
            except exceptions.ObjectAlreadyExists:
                self.work_pool = self.client.read_work_pool(self.work_pool_name)
        self.client.send_worker_heartbeat(
            self.work_pool_name, self.name, self.heartbeat_interval_seconds
        )
        self._last_heartbeat = time.monotonic()

    # -- polling and claiming ---------------------------------------------------------------------
    def _due_runs(self) -> list[Any]:
        before = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=self.prefetch_seconds)
        items = self.client.get_scheduled_flow_runs_for_work_pool(
            self.work_pool_name, self.work_queues or None, before
        )
        return [item.flow_run for item in items]

    def _free_slots(self) -> int | None:
        if self.limit is None:
            return None
        with self._jobs_lock:
            return self.limit - len(self._jobs)

    def get_and_submit_flow_runs(self) -> list[Any]:
        """Claim and start the due runs this worker has room for; return the runs started."""
        started = []
        for flow_run in self._due_runs():
            slots = self._free_slots()
            if slots is not None and slots <= 0:
                break
            if self._submit(flow_run):
                started.append(flow_run)
        return started

    def _claim(self, flow_run: Any) -> bool:
        try:
            # the claim names the worker: if it dies, the server sees its heartbeat stop and
            # crashes (or reschedules) the runs it left Pending (orchestration.zombies)
            claim = states.Pending()
            claim.state_details.update(worker_name=self.name, work_pool_name=self.work_pool_name)
            result = self.client.set_flow_run_state(flow_run.id, claim)
        except exceptions.ObjectNotFound:
            return False
        return result.status.value == "ACCEPT"

    def _variable_value(self, name: str) -> Any:
        """The value of the variable ``name`` (``{{ prefect.variables.name }}`` in job
        variables), or None."""
        variable = self.client.read_variable_by_name(name)
        return None if variable is None else variable.value

    def _deployment(self, flow_run: Any) -> Any:
        read = getattr(self.client, "read_deployment", None)
        if flow_run.deployment_id is None or read is None:
            return None
        try:
            return read(flow_run.deployment_id)
        except exceptions.ObjectNotFound:
            return None

    def _configuration(self, flow_run: Any, deployment: Any) -> BaseJobConfiguration:
        template = (
            _field(self.work_pool, "base_job_template") or self.get_default_base_job_template()
        )
        values = job_variables(
            template, _field(deployment, "job_variables"), flow_run.job_variables
        )
        # {{ prefect.variables.x }} in the pool's template or in job variables: the variable's value
        template = templating.resolve_variables(template, self._variable_value)
        values = templating.resolve_variables(values, self._variable_value)
        configuration = self.job_configuration.from_template_and_values(template, values)
        configuration.prepare_for_flow_run(flow_run, deployment)
        return configuration

    def _submit(self, flow_run: Any) -> bool:
        if not self._claim(flow_run):
            return False  # another worker took it, or it changed meanwhile
        try:
            configuration = self._configuration(flow_run, self._deployment(flow_run))
            identifier, handle = self.run(flow_run, configuration)
        except Exception as exc:
            _logger.exception("Flow run %s could not be started.", flow_run.id)
            message = f"Flow run could not be submitted to infrastructure: {exc}"
            self.client.set_flow_run_state(flow_run.id, states.Crashed(message=message))
            return False
        job = _Job(flow_run.id, handle, identifier)
        with self._jobs_lock:
            self._jobs[flow_run.id] = job
        self.submitted += 1
        # recorded before the watcher starts: its report of the exit checks the run is still
        # on this infrastructure (not claimed again since)
        try:
            self.client.update_flow_run(flow_run.id, infrastructure_pid=identifier)
        except exceptions.ObjectNotFound:
            pass  # deleted meanwhile: its process finds out by itself
        except Exception:
            _logger.exception("Could not record the infrastructure of flow run %s.", flow_run.id)
        watcher = threading.Thread(
            target=self._watch, args=(job,), name=f"praefect-watch-{flow_run.id}", daemon=True
        )
        self._watchers.append(watcher)
        watcher.start()
        _logger.info("Started flow run %s (%s).", flow_run.id, identifier)
        return True

    # -- after the infrastructure ends ------------------------------------------------------------
    def _watch(self, job: _Job) -> None:
        status = self.wait(job.handle)
        try:
            self.report_exit(job.flow_run_id, status, job.identifier)
        except Exception:
            _logger.exception("Could not report the end of flow run %s.", job.flow_run_id)
        finally:
            with self._jobs_lock:
                self._jobs.pop(job.flow_run_id, None)

    def report_exit(self, flow_run_id: uuid.UUID, status_code: int, identifier: str = "") -> None:
        """Record how a run's infrastructure ended: Cancelled for a run that was being
        cancelled, Crashed for one left unfinished (the rules retry it if it has retries
        left); a finished run is left as it is."""
        try:
            run = self.client.read_flow_run(flow_run_id)
        except exceptions.ObjectNotFound:
            return
        state = run.state
        if state is None or state.type not in _LEFT_BY_A_PROCESS:
            return  # finished, or rescheduled (by the crash check) meanwhile
        if not _attempt_was_ours(run, identifier):
            _logger.info(
                "Flow run %s is in an attempt of another process (pid %s on %s); its process "
                "(%s) ended, the run is left to that attempt.",
                flow_run_id,
                _field(run, "pid"),
                _field(run, "hostname"),
                identifier,
            )
            return
        # the run count read fences the proposals below: they are refused if another attempt
        # starts meanwhile (rules.FenceStaleAttempts)
        fence = {"attempt": _field(run, "run_count") or 0}
        if state.type is StateType.CANCELLING:
            cancelled = states.Cancelled(message="The flow run's process was stopped.")
            cancelled.state_details.update(fence)
            self.client.set_flow_run_state(flow_run_id, cancelled, force=True)
            _logger.info("Flow run %s cancelled.", flow_run_id)
            return
        if state.type is StateType.PENDING and status_code == 0:
            return  # the engine stopped before starting (aborted): nothing ran
        if status_code < 0:
            why = f"its process ({identifier}) was killed by signal {-status_code}"
        else:
            why = f"its process ({identifier}) exited with status code {status_code}"
        message = f"Flow run infrastructure exited without a final state: {why}."
        crashed = states.Crashed(message=message)
        crashed.state_details.update(fence)
        result = self.client.set_flow_run_state(flow_run_id, crashed)
        if result.status.value == "ABORT":
            result = self.client.set_flow_run_state(flow_run_id, crashed.copy(), force=True)
            if result.status.value == "ABORT":
                _logger.info("Flow run %s was not marked Crashed: %s", flow_run_id, result.details)
                return
        rescheduled = result.state is not None and result.state.type is StateType.SCHEDULED
        _logger.warning(
            "Flow run %s crashed: %s%s",
            flow_run_id,
            why,
            "; it is rescheduled (retries left)." if rescheduled else ".",
        )

    # -- cancellation -----------------------------------------------------------------------------
    def check_cancellations(self) -> None:
        """Kill the infrastructure of this worker's runs that are Cancelling (or were
        cancelled while running)."""
        from praefect.schemas import filters

        with self._jobs_lock:
            jobs = {run_id: job for run_id, job in self._jobs.items() if not job.killing}
        if not jobs:
            return
        wanted = filters.FlowRunFilter(
            id=filters.FlowRunFilterId(any_=list(jobs)),
            state=filters.FlowRunFilterState(
                type=filters.FlowRunFilterStateType(
                    any_=[StateType.CANCELLING, StateType.CANCELLED]
                )
            ),
        )
        for run in self.client.read_flow_runs(flow_run_filter=wanted):
            job = jobs[run.id]
            job.killing = True
            _logger.info(
                "Stopping flow run %s (%s): it is being cancelled.", run.id, job.identifier
            )
            threading.Thread(
                target=self.kill_infrastructure,
                args=(job.handle, self.kill_grace_seconds),
                name=f"praefect-kill-{run.id}",
                daemon=True,
            ).start()

    # -- the loop ---------------------------------------------------------------------------------
    def _may_submit(self) -> bool:
        return self.work_pool is not None and not _field(self.work_pool, "is_paused")

    def _tick(self) -> None:
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval_seconds:
            self.sync_with_backend()
        if self._may_submit():
            self.get_and_submit_flow_runs()
        self.check_cancellations()

    def setup(self) -> None:
        """Prepare the infrastructure before the first poll (subclasses: warm processes)."""

    def teardown(self) -> None:
        """Release what ``setup`` prepared, after the last run ended."""

    def run_forever(self, run_once: bool = False) -> None:
        """Poll until ``stop()`` (or, with ``run_once``, poll once and wait for the runs it
        started). On stop, runs still going are stopped and marked Crashed."""
        self._stop.clear()
        self.sync_with_backend()
        _deliver_spool_in_background()
        self.setup()
        try:
            while True:
                try:
                    self._tick()
                except exceptions.ObjectNotFound:
                    if not self.create_pool_if_not_found:
                        raise
                    _logger.warning("Work pool %r is gone; creating it again.", self.work_pool_name)
                    self._last_heartbeat = 0.0  # the next tick creates it again
                except Exception:
                    _logger.exception("Worker %r: polling failed; trying again.", self.name)
                if run_once or self._stop.wait(self.query_seconds):
                    break
            if run_once:
                self.wait_for_runs()
            else:
                self.stop_runs("the worker stopped")
        finally:
            self.teardown()

    def wait_for_runs(self, timeout: float | None = None) -> None:
        """Block until the runs this worker started have ended (and were reported), still
        stopping the ones that get cancelled meanwhile."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while any(watcher.is_alive() for watcher in self._watchers):
            if deadline is not None and time.monotonic() > deadline:
                return
            try:
                self.check_cancellations()
            except Exception:
                _logger.exception("Worker %r: checking for cancellations failed.", self.name)
            for watcher in self._watchers:
                watcher.join(self.query_seconds)
                break

    def stop_runs(self, reason: str) -> None:
        """Stop the infrastructure of every run still going; their watchers mark them."""
        with self._jobs_lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            _logger.warning(
                "Stopping flow run %s (%s): %s.", job.flow_run_id, job.identifier, reason
            )
            self.kill_infrastructure(job.handle, self.kill_grace_seconds)
        for watcher in list(self._watchers):
            watcher.join(self.kill_grace_seconds + 5.0)

    def stop(self) -> None:
        """Ask the loop to stop after its current poll (thread-safe, signal-safe)."""
        self._stop.set()

    async def start(
        self, run_once: bool = False, with_healthcheck: bool = False, printer: Any = None
    ) -> None:
        """Poll the pool until stopped (``run_once``: poll once, wait for those runs)."""
        await asyncio.to_thread(self.run_forever, run_once)

    async def __aenter__(self) -> BaseWorker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    def __enter__(self) -> BaseWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _attempt_was_ours(run: Any, identifier: str) -> bool:
    """Whether the run's current attempt may be the one this worker's process (``identifier``,
    ``hostname:pid``) ran: False when the run records another live process on this host as
    running it (a newer attempt, started elsewhere, must not be marked Crashed for our exit)."""
    if run.state.type is StateType.PENDING:
        # claimed again since (the claim clears the infrastructure), or by another worker
        return _field(run, "infrastructure_pid") == identifier
    host, _, pid = identifier.rpartition(":")
    recorded_pid, recorded_host = _field(run, "pid"), _field(run, "hostname")
    if recorded_pid is None or recorded_host != host or host != hostname():
        return True
    if str(recorded_pid) == pid:
        return True
    try:
        os.kill(int(recorded_pid), 0)
    except ProcessLookupError:
        return True  # gone: a process of ours (a custom command's child) ran it
    except (PermissionError, ValueError, OSError):
        pass
    return False


def hostname() -> str:
    """This machine's name (the first part of an ``infrastructure_pid``)."""
    return socket.gethostname()


def _deliver_spool_in_background() -> None:
    # run records that flows of this home spooled during a server outage reach the server
    # while the worker lives, not only when another flow happens to run
    from praefect import client

    door = client.get_orchestration_client()
    deliver = getattr(door, "deliver_spool_in_background", None)
    if deliver is not None:
        deliver()
