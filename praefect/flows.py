"""Flows: functions whose every call is a tracked flow run (Prefect 3's ``prefect.flows``).

>>> from praefect import flow
>>> @flow(retries=1, log_prints=True)
... def my_first_flow(x: int = 1) -> int:
...     print("hello")
...     return x * 2
>>> my_first_flow.name
'my-first-flow'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import os
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from praefect import exceptions
from praefect.engine.retries import RetryPolicy
from praefect.tasks import Hooks, _as_hooks
from praefect.utilities import importtools
from praefect.utilities.callables import ParameterValidator, Signature

if TYPE_CHECKING:
    from praefect.results import StorageArgument
    from praefect.schedules import ScheduleLike
    from praefect.serializers import Serializer
    from praefect.task_runners import TaskRunner

__all__ = [
    "Flow",
    "aserve",
    "flow",
    "load_flow_from_entrypoint",
    "load_flow_from_flow_run",
    "serve",
]

P = ParamSpec("P")
R = TypeVar("R")


class Flow(Generic[P, R]):
    """A function whose calls are flow runs. Create one with ``@flow``."""

    _OPTION_NAMES = (
        "name", "version", "flow_run_name", "retries", "retry_delay_seconds",
        "retry_jitter_factor", "task_runner", "description", "timeout_seconds",
        "validate_parameters", "persist_result", "result_storage", "result_serializer",
        "cache_result_in_memory", "log_prints", "tags",
    )  # fmt: skip

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        version: str | None = None,
        flow_run_name: str | Callable[..., str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: Any = None,
        retry_jitter_factor: float | None = None,
        task_runner: TaskRunner | None = None,
        description: str | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        persist_result: bool | None = None,
        result_storage: StorageArgument | None = None,
        result_serializer: Serializer | str | None = None,
        cache_result_in_memory: bool = True,
        log_prints: bool | None = None,
        tags: Iterable[str] | None = None,
        on_completion: Iterable[Callable[..., Any]] | None = None,
        on_failure: Iterable[Callable[..., Any]] | None = None,
        on_cancellation: Iterable[Callable[..., Any]] | None = None,
        on_crashed: Iterable[Callable[..., Any]] | None = None,
        on_running: Iterable[Callable[..., Any]] | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@flow needs a function, got {fn!r}.")
        self.fn = fn
        self.name = name or fn.__name__.replace("_", "-")
        owner = f"Flow {self.name!r}"
        if any(c in self.name for c in "/%&><"):
            raise exceptions.InvalidNameError(
                f"Flow name {self.name!r} contains a reserved character (one of / % & > <)."
            )
        self._version = version
        self.flow_run_name = flow_run_name
        if flow_run_name is not None and not (
            isinstance(flow_run_name, str) or callable(flow_run_name)
        ):
            raise TypeError(
                f"{owner}: flow_run_name must be a string or a callable, got {flow_run_name!r}."
            )
        if retries is None:
            from praefect.settings import get_current_settings

            retries = get_current_settings().flows_default_retries
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_policy = RetryPolicy.build(
            owner, retries, retry_delay_seconds, retry_jitter_factor
        )
        self.empirical_policy = self.retry_policy.as_dict()
        if task_runner is None:
            from praefect.task_runners import ThreadPoolTaskRunner

            task_runner = ThreadPoolTaskRunner()
        elif isinstance(task_runner, type):
            task_runner = task_runner()
        self.task_runner = task_runner
        self.description = description if description is not None else inspect.getdoc(fn)
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"{owner}: timeout_seconds must be positive, got {timeout_seconds}.")
        self.timeout_seconds = timeout_seconds
        self.should_validate_parameters = validate_parameters
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.cache_result_in_memory = cache_result_in_memory
        self.log_prints = log_prints
        if log_prints:
            from praefect.logging import prints

            prints.install()
        self.tags = frozenset(tags or ())
        self.on_completion_hooks = _as_hooks(on_completion, owner, "on_completion")
        self.on_failure_hooks = _as_hooks(on_failure, owner, "on_failure")
        self.on_cancellation_hooks = _as_hooks(on_cancellation, owner, "on_cancellation")
        self.on_crashed_hooks = _as_hooks(on_crashed, owner, "on_crashed")
        self.on_running_hooks = _as_hooks(on_running, owner, "on_running")
        self.is_async = inspect.iscoroutinefunction(fn)
        self._signature = Signature(fn, owner)
        self.call_plan = self._signature.plan
        self._validator = ParameterValidator(fn, owner)
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    # -- attributes read by the engine ------------------------------------------------------
    @property
    def version(self) -> str | None:
        """The flow's version: as given, else a hash of the file that defines it."""
        if self._version is None:
            self._version = _source_hash(self.fn)
        return self._version

    @property
    def entrypoint(self) -> str | None:
        """Where the flow's code lives: ``path/to/file.py:function``."""
        try:
            path = inspect.getsourcefile(self.fn)
        except TypeError:
            path = None
        if not path:
            return f"{self.fn.__module__}:{self.fn.__qualname__}"
        return f"{os.path.abspath(path)}:{self.fn.__qualname__}"

    @property
    def validate_parameters_enabled(self) -> bool:
        return self.should_validate_parameters

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Coerce ``parameters`` with the flow's type hints; ``ParameterTypeError`` names each
        refused parameter and the type it expected."""
        return self._validator.validate(parameters)

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        from praefect.engine import shared

        return shared.jsonable_parameters(parameters)

    on_completion = Hooks()
    on_failure = Hooks()
    on_cancellation = Hooks()
    on_crashed = Hooks()
    on_running = Hooks()

    def with_options(self, **options: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed.

        >>> nightly = my_first_flow.with_options(name="nightly", retries=3)  # doctest: +SKIP
        """
        current: dict[str, Any] = {
            name: getattr(self, name)
            for name in self._OPTION_NAMES
            if name != "validate_parameters"
        }
        current["version"] = self._version
        current["validate_parameters"] = self.should_validate_parameters
        for hook in ("on_completion", "on_failure", "on_cancellation", "on_crashed", "on_running"):
            current[hook] = getattr(self, f"{hook}_hooks")
        unknown = set(options) - set(current)
        if unknown:
            raise TypeError(
                f"Flow.with_options() got unknown option(s) {sorted(unknown)}; "
                f"valid options: {', '.join(sorted(current))}."
            )
        current.update(options)
        return type(self)(self.fn, **current)

    # -- calls ------------------------------------------------------------------------------
    @overload
    def __call__(
        self: Flow[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the flow now and return its result (``return_state=True``: its final state)."""
        return_state = kwargs.pop("return_state", False)
        wait_for = kwargs.pop("wait_for", None)
        parameters = self._signature.bind(args, kwargs)
        from praefect.engine import flow_engine

        return_type = "state" if return_state else "result"
        if self.is_async:
            return flow_engine.run_flow_async(self, parameters, wait_for, return_type)
        return flow_engine.run_flow_sync(self, parameters, wait_for, return_type)

    # -- serving -----------------------------------------------------------------------------
    def serve(
        self,
        name: str | None = None,
        interval: float | _dt.timedelta | Iterable[float | _dt.timedelta] | None = None,
        cron: str | Iterable[str] | None = None,
        rrule: str | Iterable[str] | None = None,
        paused: bool | None = None,
        schedule: ScheduleLike | None = None,
        schedules: Iterable[ScheduleLike] | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        version: str | None = None,
        enforce_parameter_schema: bool | None = None,
        pause_on_shutdown: bool = True,
        print_starting_message: bool = True,
        limit: int | None = None,
        webserver: bool = False,
        triggers: list[Any] | None = None,
        **_: Any,
    ) -> None:
        """Create (or update) a deployment of this flow called ``name`` (default: the flow's
        name), with no work pool, and run its runs in this process, each in a subprocess, until
        SIGINT or SIGTERM. Schedules and options as ``to_deployment``.

        >>> my_flow.serve("nightly", cron="0 3 * * *")  # doctest: +SKIP
        """
        from praefect.runner import Runner

        runner = Runner(pause_on_shutdown=pause_on_shutdown, limit=limit)
        runner.add_flow(
            self,
            name=name or self.name,
            interval=interval,
            cron=cron,
            rrule=rrule,
            paused=paused,
            schedule=schedule,
            schedules=schedules,
            parameters=parameters,
            description=description,
            tags=tags,
            version=version,
            enforce_parameter_schema=enforce_parameter_schema,
            triggers=triggers,
        )
        if print_starting_message:
            print(
                f"Serving flow {self.name!r} as deployment '{self.name}/{name or self.name}'."
                f" Start a run with `praefect deployment run '{self.name}/{name or self.name}'`;"
                " stop with Ctrl-C.",
                flush=True,
            )
        runner.serve_until_signalled()

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"

    # -- deployments -------------------------------------------------------------------------
    _storage: Any = None  # set by from_source: where the code is fetched from at run time
    _entrypoint: str | None = None  # set by from_source: the entrypoint inside the source

    def to_deployment(self, name: str, **options: Any) -> Any:
        """A ``RunnerDeployment`` of this flow, to ``apply()``, serve or ``deploy()``.

        Options: ``interval``, ``cron``, ``rrule`` (each one value or a list), ``schedule``,
        ``schedules`` (``praefect.schedules.Cron(...)``, ...), ``anchor_date``, ``timezone``,
        ``paused``, ``parameters`` (defaults of its runs), ``description``, ``tags``,
        ``version``, ``enforce_parameter_schema``, ``concurrency_limit``, ``work_pool_name``,
        ``work_queue_name``, ``job_variables``, ``triggers`` (``DeploymentEventTrigger``, ...:
        each becomes an automation that runs the deployment). The parameter schema comes from
        the signature.

        >>> deployment = my_first_flow.to_deployment("nightly", cron="0 3 * * *")  # doctest: +SKIP
        >>> deployment.apply()  # doctest: +SKIP
        UUID('...')
        """
        from praefect.deployments.runner import RunnerDeployment

        return RunnerDeployment.from_flow(self, name, **options)

    async def ato_deployment(self, name: str, **options: Any) -> Any:
        return self.to_deployment(name, **options)

    def deploy(
        self,
        name: str,
        work_pool_name: str | None = None,
        image: object = None,
        build: bool = True,
        push: bool = True,
        print_next_steps: bool = True,
        ignore_warnings: bool = False,
        **options: Any,
    ) -> Any:
        """Create (or update) a deployment of this flow on the work pool ``work_pool_name``,
        whose workers run its runs; return its id. Same options as ``to_deployment``.

        >>> my_first_flow.deploy("nightly", work_pool_name="local", cron="0 3 * * *")  # doctest: +SKIP
        UUID('...')
        """
        from praefect.deployments.runner import deploy

        deployment = self.to_deployment(name, work_pool_name=work_pool_name, **options)
        [deployment_id] = deploy(
            deployment,
            work_pool_name=work_pool_name,
            image=image,
            print_next_steps_message=print_next_steps,
        )
        return deployment_id

    async def adeploy(self, name: str, **options: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(self.deploy, name, **options)

    @classmethod
    def from_source(cls, source: Any, entrypoint: str) -> Flow[Any, Any]:
        """The flow at ``entrypoint`` (``path/in/source.py:function``) of ``source``: a local
        directory or a git repository URL (cloned now to load the flow, and again where each
        run of its deployments runs).

        >>> etl = Flow.from_source("https://github.com/org/flows.git", "etl.py:etl")  # doctest: +SKIP
        >>> etl.deploy("nightly", work_pool_name="local")  # doctest: +SKIP
        """
        from praefect.deployments.storage import create_storage_from_source

        path, sep, qualname = entrypoint.rpartition(":")
        if not sep or not path or not qualname:
            raise ValueError(
                f"Entrypoint {entrypoint!r} is not of the form 'path/to/file.py:function'."
            )
        storage = create_storage_from_source(source)
        storage.pull_code()
        flow = load_flow_from_entrypoint(f"{storage.destination / path}:{qualname}")
        flow._storage = storage
        flow._entrypoint = entrypoint
        return flow

    @classmethod
    async def afrom_source(cls, source: Any, entrypoint: str) -> Flow[Any, Any]:
        import asyncio

        return await asyncio.to_thread(cls.from_source, source, entrypoint)


def _source_hash(fn: Callable[..., Any]) -> str:
    try:
        path = inspect.getsourcefile(fn)
        if path:
            with open(path, "rb") as fh:
                return hashlib.md5(fh.read(), usedforsecurity=False).hexdigest()
    except (OSError, TypeError):
        pass
    code = getattr(fn, "__code__", None)
    raw = code.co_code if code is not None else repr(fn).encode()
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(__fn: None = None, **options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Any = None, **options: Any) -> Any:
    """Make a function a flow. Use bare (``@flow``) or with options (``@flow(retries=2)``).

    Options: name, description, version, flow_run_name, retries, retry_delay_seconds,
    retry_jitter_factor, task_runner, timeout_seconds, validate_parameters, log_prints, tags,
    on_completion, on_failure, on_cancellation, on_crashed, on_running, and the result options.
    """
    if __fn is not None:
        return Flow(__fn, **options)
    return lambda fn: Flow(fn, **options)


# -- serving ---------------------------------------------------------------------------------
def serve(*deployments: Any, **options: Any) -> None:
    """Serve several deployments from this process until SIGINT or SIGTERM (see
    ``praefect.runner.serve``).

    >>> serve(etl.to_deployment("hourly", interval=3600))  # doctest: +SKIP
    """
    from praefect.runner import serve as _serve

    _serve(*deployments, **options)


async def aserve(*deployments: Any, **options: Any) -> None:
    """``serve`` for async code."""
    from praefect.runner import aserve as _aserve

    await _aserve(*deployments, **options)


def load_flow_from_entrypoint(entrypoint: str) -> Flow[Any, Any]:
    """The flow at ``path/to/file.py:function`` or ``package.module:function``.

    >>> etl = load_flow_from_entrypoint("flows/etl.py:etl")  # doctest: +SKIP
    """
    obj = importtools.load_entrypoint(entrypoint)
    if not isinstance(obj, Flow):
        raise exceptions.MissingFlowError(
            f"Entrypoint {entrypoint!r} is a {type(obj).__name__}, not a flow (decorate it with "
            "@flow)."
        )
    return obj


def load_flow_from_flow_run(flow_run: Any, client: Any = None, ignore_storage: bool = False) -> Any:
    """The flow of a deployment's run, its code fetched first: the deployment's pull steps
    are run (the directory they end in becomes the working directory), or, without steps, the
    working directory becomes the deployment's ``path``; then its entrypoint is loaded.

    >>> flow = load_flow_from_flow_run(client.read_flow_run(run_id))  # doctest: +SKIP
    """
    from praefect.client.orchestration import get_client

    if flow_run.deployment_id is None:
        if not flow_run.entrypoint:
            raise ValueError(f"Flow run {flow_run.id} has no deployment and no entrypoint.")
        return load_flow_from_entrypoint(flow_run.entrypoint)
    client = client or get_client(sync_client=True)
    deployment = client.read_deployment(flow_run.deployment_id)
    if not deployment.entrypoint:
        raise ValueError(f"Deployment {deployment.name!r} has no entrypoint to load its flow.")
    if not ignore_storage:
        if deployment.pull_steps:
            from praefect.deployments import steps

            outputs = steps.run_steps(deployment.pull_steps)
            if outputs.get("directory"):
                os.chdir(outputs["directory"])
        elif deployment.path:
            os.chdir(deployment.path)
    return load_flow_from_entrypoint(deployment.entrypoint)
