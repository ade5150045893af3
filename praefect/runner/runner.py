"""``Runner``: one long-lived process that serves deployments (``flow.serve()``,
``praefect.serve()``): it registers them, polls for their Scheduled runs
(``POST /deployments/get_scheduled_flow_runs`` every ``PRAEFECT_RUNNER_POLL_SECONDS``) and runs
each in a subprocess, as a process worker does, but without a work pool.

Runs are claimed by proposing Pending (so two runners serving the same deployment never both
start a run), at most ``limit`` at once; a cancelled run's process is killed and the run marked
Cancelled; a process that dies is reported Crashed. On SIGINT or SIGTERM the runner stops
polling, stops the runs still going (they are marked Crashed, and rescheduled when they have
retries left) and, with ``pause_on_shutdown``, pauses its deployments.

>>> runner = Runner(name="my-runner")  # doctest: +SKIP
>>> runner.add_flow(my_flow, name="nightly", cron="0 3 * * *")  # doctest: +SKIP
>>> runner.run_forever()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.utilities import wakeup
from praefect.workers.process import ProcessJobConfiguration, ProcessWorker

if TYPE_CHECKING:
    from praefect.deployments.runner import RunnerDeployment
    from praefect.flows import Flow

__all__ = ["Runner"]

_logger = logging.getLogger("praefect.runner")
_FLOW_OPTIONS = (
    "interval",
    "cron",
    "rrule",
    "paused",
    "schedule",
    "schedules",
    "concurrency_limit",
    "parameters",
    "triggers",
    "description",
    "tags",
    "version",
    "enforce_parameter_schema",
    "entrypoint_type",
)


class _ServingWorker(ProcessWorker):
    """A process worker whose runs come from the runner's deployments instead of a pool."""

    def __init__(self, runner: Runner, **kwargs: Any) -> None:
        super().__init__(work_pool_name=f"runner:{runner.name}", **kwargs)
        self.runner = runner

    def sync_with_backend(self) -> None:
        self._last_heartbeat = float("inf")  # no pool to heartbeat to

    def _may_submit(self) -> bool:
        return bool(self.runner.deployment_ids)

    def _due_runs(self) -> list[Any]:
        before = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=self.prefetch_seconds)
        return self.client.get_scheduled_flow_runs_for_deployments(
            sorted(self.runner.deployment_ids, key=str), before
        )

    def _deployment(self, flow_run: Any) -> Any:
        return None

    def _configuration(self, flow_run: Any, deployment: Any) -> ProcessJobConfiguration:
        configuration = ProcessJobConfiguration()
        configuration.prepare_for_flow_run(flow_run)
        return configuration


class Runner:
    """Serves deployments from this process: polls for their runs and runs each in a
    subprocess."""

    def __init__(
        self,
        name: str | None = None,
        query_seconds: float | None = None,
        prefetch_seconds: float = 10,
        limit: int | None = None,
        pause_on_shutdown: bool = True,
        heartbeat_seconds: float | None = None,
        webserver: bool = False,
        kill_grace_seconds: float | None = None,
    ) -> None:
        from praefect.settings import get_current_settings

        settings = get_current_settings()
        self.name = name or f"runner-{uuid.uuid4()}"
        self.query_seconds = (
            settings.runner_poll_seconds if query_seconds is None else query_seconds
        )
        self.limit = settings.runner_process_limit if limit is None else limit
        self.pause_on_shutdown = pause_on_shutdown
        self.deployment_ids: set[uuid.UUID] = set()
        """The deployments this runner serves."""
        self._worker = _ServingWorker(
            self,
            limit=self.limit,
            prefetch_seconds=prefetch_seconds,
            query_seconds=self.query_seconds,
            kill_grace_seconds=kill_grace_seconds,
        )
        self.started = False

    # -- what it serves ---------------------------------------------------------------------------
    def add_deployment(self, deployment: RunnerDeployment) -> uuid.UUID:
        """Register a deployment (a ``RunnerDeployment``, created or updated now) and serve its
        runs; return its id."""
        deployment_id = deployment.apply()
        self.deployment_ids.add(uuid.UUID(str(deployment_id)))
        return deployment_id

    async def aadd_deployment(self, deployment: RunnerDeployment) -> uuid.UUID:
        return await asyncio.to_thread(self.add_deployment, deployment)

    def add_flow(self, flow: Flow[..., Any], name: str | None = None, **options: Any) -> uuid.UUID:
        """Create (or update) a deployment of ``flow`` called ``name`` (default: the flow's
        name) with no work pool, and serve it; return its id. Options as
        ``flow.to_deployment``: ``interval``, ``cron``, ``rrule``, ``schedules``, ``paused``,
        ``parameters``, ``tags``, ``description``, ``version``, ..."""
        unknown = sorted(set(options) - set(_FLOW_OPTIONS))
        if unknown:
            raise TypeError(
                f"Runner.add_flow got unknown option(s) {unknown}; it accepts: "
                f"{', '.join(_FLOW_OPTIONS)}."
            )
        given = {key: value for key, value in options.items() if value is not None}
        deployment = flow.to_deployment(name=name or flow.name, **given)
        return self.add_deployment(deployment)

    async def aadd_flow(
        self, flow: Flow[..., Any], name: str | None = None, **options: Any
    ) -> uuid.UUID:
        return await asyncio.to_thread(self.add_flow, flow, name, **options)

    # -- running ----------------------------------------------------------------------------------
    def run_forever(self, run_once: bool = False) -> None:
        """Serve until ``stop()`` (``run_once``: poll once and wait for the runs it started).
        When it stops, runs still going are stopped (marked Crashed) and, with
        ``pause_on_shutdown``, the deployments are paused."""
        self.started = True
        try:
            self._worker.run_forever(run_once=run_once)
        finally:
            self.started = False
        if not run_once and self.pause_on_shutdown:
            self._pause_deployments()

    def _pause_deployments(self) -> None:
        pause = getattr(self._worker.client, "pause_deployment", None)
        if pause is None:
            return
        for deployment_id in self.deployment_ids:
            try:
                pause(deployment_id)
            except exceptions.ObjectNotFound:
                continue

    async def start(self, run_once: bool = False, webserver: bool | None = None) -> None:
        """Serve until stopped (``run_once``: poll once and wait for those runs)."""
        await asyncio.to_thread(self.run_forever, run_once)

    def stop(self) -> None:
        """Stop serving after the current poll (thread-safe, signal-safe)."""
        self._worker.stop()

    def serve_until_signalled(self) -> None:
        """``run_forever`` in the main thread, stopped by SIGINT or SIGTERM (what
        ``flow.serve()`` does)."""
        with wakeup.stopped_by_signals(self.stop) as received:
            self.run_forever()
        if received:
            _logger.info("Runner %r: stopped by signal %d.", self.name, received[0])

    async def __aenter__(self) -> Runner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()
