"""``RunnerDeployment``: a deployment described in code, then applied to the orchestrator
(Prefect 3's ``prefect.deployments.runner``).

``flow.to_deployment(...)`` builds one; ``apply()`` creates (or updates) the deployment and
returns its id; ``deploy(*deployments, work_pool_name=...)`` applies several to a work pool;
``flow.serve()`` / ``praefect.serve()`` hand them to a ``Runner``.

>>> from praefect import flow
>>> @flow
... def etl(n: int = 1) -> int:
...     return n
>>> deployment = RunnerDeployment.from_flow(etl, "nightly", cron="0 3 * * *", tags=["etl"])
>>> deployment.flow_name, deployment.schedules[0].schedule.cron
('etl', '0 3 * * *')
>>> deployment.apply()  # doctest: +SKIP
UUID('...')
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from praefect.schemas.schedules import DeploymentScheduleCreate
from praefect.utilities.parameter_schema import parameter_schema

if TYPE_CHECKING:
    from praefect.flows import Flow
    from praefect.schedules import ScheduleLike

__all__ = ["RunnerDeployment", "deploy"]


def _entrypoint_of(flow: Flow[..., Any]) -> str:
    """``path/to/file.py:function``, the path relative to the working directory when the file
    is under it (so the code can move with its directory), else absolute."""
    entrypoint = flow.entrypoint or ""
    path, _, qualname = entrypoint.rpartition(":")
    if path.endswith(".py"):
        try:
            path = str(Path(path).resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            pass
    return f"{path}:{qualname}"


class RunnerDeployment(BaseModel):
    """A deployment of a flow, described in code; ``apply()`` records it."""

    model_config = ConfigDict(arbitrary_types_allowed=True, validate_assignment=True)

    name: str
    """The deployment's name (unique per flow)."""
    flow_name: str
    """The name of the flow it runs."""
    entrypoint: str | None = None
    """Where the flow is: ``path/to/file.py:function`` (relative to ``path``)."""
    path: str | None = None
    """The directory the entrypoint is relative to, when the code is not pulled by steps."""
    pull_steps: list[dict[str, Any]] | None = None
    """Steps that fetch the code before a run (``praefect.deployments.steps``)."""
    description: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    schedules: list[DeploymentScheduleCreate] = Field(default_factory=list)
    paused: bool | None = None
    """None keeps the current state of an existing deployment (new ones start active)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Default parameters of its runs (over the flow's own defaults)."""
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    concurrency_limit: int | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    triggers: list[Any] = Field(default_factory=list)
    """Triggers that run this deployment (``DeploymentEventTrigger``, ``EventTrigger``, ...):
    ``apply()`` makes each an automation the deployment owns, replacing the ones it had."""
    _flow: Any = PrivateAttr(default=None)

    @property
    def flow(self) -> Any:
        """The flow object, when built from one (``from_flow``)."""
        return self._flow

    @property
    def full_name(self) -> str:
        """``flow-name/deployment-name``."""
        return f"{self.flow_name}/{self.name}"

    @classmethod
    def from_flow(
        cls,
        flow: Flow[..., Any],
        name: str,
        interval: float | _dt.timedelta | Iterable[float | _dt.timedelta] | None = None,
        cron: str | Iterable[str] | None = None,
        rrule: str | Iterable[str] | None = None,
        paused: bool | None = None,
        schedule: ScheduleLike | None = None,
        schedules: Iterable[ScheduleLike] | None = None,
        concurrency_limit: int | None = None,
        parameters: dict[str, Any] | None = None,
        triggers: list[Any] | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        enforce_parameter_schema: bool = True,
        work_pool_name: str | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        anchor_date: _dt.datetime | None = None,
        timezone: str | None = None,
        **_: Any,
    ) -> RunnerDeployment:
        """A deployment of ``flow`` (see ``Flow.to_deployment`` for the arguments)."""
        from praefect import schedules as _schedules

        built = _schedules.deployment_schedules(
            interval=interval,
            anchor_date=anchor_date,
            cron=cron,
            rrule=rrule,
            timezone=timezone,
            schedule=schedule,
            schedules=schedules,
        )
        storage = getattr(flow, "_storage", None)
        if storage is not None:
            entrypoint = flow._entrypoint
            path, pull_steps = None, storage.pull_steps()
        else:
            entrypoint, path, pull_steps = _entrypoint_of(flow), str(Path.cwd()), None
        deployment = cls(
            name=name,
            flow_name=flow.name,
            entrypoint=entrypoint,
            path=path,
            pull_steps=pull_steps,
            description=description if description is not None else flow.description,
            version=version if version is not None else flow.version,
            tags=list(tags or ()),
            schedules=built,
            paused=paused,
            parameters=dict(parameters or {}),
            parameter_openapi_schema=parameter_schema(flow.fn),
            enforce_parameter_schema=enforce_parameter_schema,
            concurrency_limit=concurrency_limit,
            work_pool_name=work_pool_name,
            work_queue_name=work_queue_name,
            job_variables=dict(job_variables or {}),
            triggers=list(triggers or ()),
        )
        deployment._flow = flow
        return deployment

    @classmethod
    def from_entrypoint(cls, entrypoint: str, name: str, **options: Any) -> RunnerDeployment:
        """A deployment of the flow at ``entrypoint`` (``path/to/file.py:function``), with the
        same options as ``from_flow``; the entrypoint is kept as given."""
        from praefect.flows import load_flow_from_entrypoint

        flow = load_flow_from_entrypoint(entrypoint)
        deployment = cls.from_flow(flow, name, **options)
        deployment.entrypoint = entrypoint
        return deployment

    def apply(self, work_pool_name: str | None = None, image: object = None, **_: Any) -> uuid.UUID:
        """Create the deployment, or update the one of this flow with this name; return its
        id. ``work_pool_name`` overrides the deployment's own."""
        if image is not None:
            raise ValueError(
                "Building images is not supported: deploy to a process work pool without "
                "image=, with the code on the worker's machine or pulled by from_source()."
            )
        from praefect.client.orchestration import get_client
        from praefect.schemas.deployment_triggers import parse_trigger

        triggers = [parse_trigger(trigger) for trigger in self.triggers]  # before any write
        pool = work_pool_name or self.work_pool_name
        with get_client(sync_client=True) as client:
            flow_id = client.create_flow_from_name(self.flow_name)
            deployment_id = client.create_deployment(
                flow_id,
                self.name,
                version=self.version,
                schedules=self.schedules,
                concurrency_limit=self.concurrency_limit,
                parameters=self.parameters,
                description=self.description,
                work_queue_name=self.work_queue_name,
                work_pool_name=pool,
                tags=self.tags,
                path=self.path,
                entrypoint=self.entrypoint,
                parameter_openapi_schema=self.parameter_openapi_schema,
                paused=self.paused,
                pull_steps=self.pull_steps,
                enforce_parameter_schema=self.enforce_parameter_schema,
                job_variables=self.job_variables,
            )
            self._apply_triggers(client, deployment_id, triggers)
        return deployment_id

    def _apply_triggers(self, client: Any, deployment_id: uuid.UUID, triggers: list[Any]) -> None:
        """Replace the automations this deployment owns with one per trigger."""
        from praefect.schemas.deployment_triggers import as_automation

        automations = [as_automation(trigger, deployment_id) for trigger in triggers]
        client.delete_resource_owned_automations(f"prefect.deployment.{deployment_id}")
        for automation in automations:
            client.create_automation(automation)

    async def aapply(self, work_pool_name: str | None = None, image: object = None) -> uuid.UUID:
        """``apply``, awaited (the client calls run in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.apply, work_pool_name, image)


def deploy(
    *deployments: RunnerDeployment,
    work_pool_name: str | None = None,
    image: object = None,
    build: bool = True,
    push: bool = True,
    print_next_steps_message: bool = True,
    ignore_warnings: bool = False,
) -> list[uuid.UUID]:
    """Apply ``deployments`` to a work pool (``work_pool_name``, else each one's own); return
    their ids. Every deployment needs a pool: a worker of that pool runs its runs.

    >>> deploy(etl.to_deployment("nightly"), work_pool_name="local")  # doctest: +SKIP
    [UUID('...')]
    """
    missing = [d.full_name for d in deployments if not (work_pool_name or d.work_pool_name)]
    if missing:
        raise ValueError(
            f"No work pool for deployment(s) {', '.join(missing)}: pass work_pool_name= (create "
            "one with `praefect work-pool create NAME --type process`)."
        )
    ids = [d.apply(work_pool_name=work_pool_name, image=image) for d in deployments]
    if print_next_steps_message:
        for deployment in deployments:
            pool = work_pool_name or deployment.work_pool_name
            print(
                f"Deployment '{deployment.full_name}' is ready. Start a worker with "
                f"`praefect worker start --pool {pool}`, then run it with "
                f"`praefect deployment run '{deployment.full_name}'`."
            )
    return ids
