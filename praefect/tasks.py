"""Tasks: functions whose every call is a tracked, retryable task run (Prefect 3's
``prefect.tasks``).

>>> from praefect import flow, task
>>> @task(retries=2, retry_delay_seconds=1)
... def fetch(url: str) -> str:
...     return url.upper()
>>> @flow
... def pipeline():
...     return fetch("a")
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, NoReturn, ParamSpec, TypeVar, overload

from praefect.engine.retries import RetryPolicy, exponential_backoff
from praefect.utilities.callables import Signature

if TYPE_CHECKING:
    from praefect.cache_policies import CachePolicy
    from praefect.context import TaskRunContext
    from praefect.futures import PrefectDistributedFuture
    from praefect.results import StorageArgument
    from praefect.serializers import Serializer

__all__ = ["Task", "exponential_backoff", "task", "task_input_hash"]

P = ParamSpec("P")
R = TypeVar("R")

Hook = Callable[..., Any]


class HookList(list[Hook]):
    """The hooks of one kind; also usable as a decorator that adds a hook:

    >>> @my_task.on_failure  # doctest: +SKIP
    ... def alert(task, task_run, state): ...
    """

    def __call__(self, fn: Hook) -> Hook:
        if not callable(fn):
            raise TypeError(f"A hook must be callable, got {fn!r}.")
        self.append(fn)
        return fn


def _as_hooks(hooks: Iterable[Hook] | Hook | None, owner: str, kind: str) -> HookList:
    if hooks is None:
        return HookList()
    if callable(hooks) and not isinstance(hooks, list | tuple):
        hooks = [hooks]
    hooks = HookList(hooks)
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"{owner}: every {kind} hook must be callable, got {hook!r}.")
    return hooks


class Hooks:
    """Descriptor: ``obj.on_failure`` is the ``HookList`` kept in ``obj.on_failure_hooks``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.kind = name
        self.attr = f"{name}_hooks"

    def __get__(self, obj: object, owner: type) -> Any:
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj: object, value: Iterable[Hook] | Hook | None) -> None:
        setattr(obj, self.attr, _as_hooks(value, repr(obj), self.kind))


def _code_hash(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    raw = code.co_code + repr(code.co_consts).encode() if code is not None else repr(fn).encode()
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()[:8]


class Task(Generic[P, R]):
    """A function whose calls are task runs. Create one with ``@task``."""

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        cache_policy: CachePolicy | None = None,
        cache_key_fn: Callable[..., str | None] | None = None,
        cache_expiration: _dt.timedelta | None = None,
        task_run_name: str | Callable[..., str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: Any = None,
        retry_jitter_factor: float | None = None,
        persist_result: bool | None = None,
        result_storage: StorageArgument | None = None,
        result_serializer: Serializer | str | None = None,
        result_storage_key: str | None = None,
        cache_result_in_memory: bool = True,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        refresh_cache: bool | None = None,
        on_completion: Iterable[Hook] | None = None,
        on_failure: Iterable[Hook] | None = None,
        on_running: Iterable[Hook] | None = None,
        on_rollback: Iterable[Hook] | None = None,
        on_commit: Iterable[Hook] | None = None,
        retry_condition_fn: Callable[..., bool] | None = None,
        viz_return_value: Any = None,
        asset_deps: Any = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@task needs a function, got {fn!r}.")
        from praefect.settings import get_current_settings

        self.fn = fn
        self.name = name or fn.__name__
        owner = f"Task {self.name!r}"
        self.description = description if description is not None else inspect.getdoc(fn)
        self.tags = frozenset(tags or ())
        self.version = version
        self.is_async = inspect.iscoroutinefunction(fn)
        self.task_key = f"{getattr(fn, '__qualname__', self.name)}-{_code_hash(fn)}"
        self.task_run_name = task_run_name
        if task_run_name is not None and not (
            isinstance(task_run_name, str) or callable(task_run_name)
        ):
            raise TypeError(
                f"{owner}: task_run_name must be a string or a callable, got {task_run_name!r}."
            )
        if retries is None:
            retries = get_current_settings().tasks_default_retries
        if retry_delay_seconds is None:
            retry_delay_seconds = get_current_settings().tasks_default_retry_delay_seconds
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_policy = RetryPolicy.build(
            owner, retries, retry_delay_seconds, retry_jitter_factor
        )
        self.empirical_policy = self.retry_policy.as_dict()
        self.retry_condition_fn = retry_condition_fn
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"{owner}: timeout_seconds must be positive, got {timeout_seconds}.")
        self.timeout_seconds = timeout_seconds
        self.log_prints = log_prints
        if log_prints:
            from praefect.logging import prints

            prints.install()
        self.cache_policy = cache_policy
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.result_storage_key = result_storage_key
        self.cache_result_in_memory = cache_result_in_memory
        self.refresh_cache = refresh_cache
        self.results_configured = any(
            option is not None
            for option in (
                persist_result,
                cache_policy,
                cache_key_fn,
                result_storage,
                result_serializer,
                result_storage_key,
            )
        )
        self.on_completion_hooks = _as_hooks(on_completion, owner, "on_completion")
        self.on_failure_hooks = _as_hooks(on_failure, owner, "on_failure")
        self.on_running_hooks = _as_hooks(on_running, owner, "on_running")
        self.on_rollback_hooks = _as_hooks(on_rollback, owner, "on_rollback")
        self.on_commit_hooks = _as_hooks(on_commit, owner, "on_commit")
        self.viz_return_value = viz_return_value
        self.asset_deps = asset_deps
        self._signature = Signature(fn, owner)
        self.call_plan = self._signature.plan
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    on_completion = Hooks()
    on_failure = Hooks()
    on_running = Hooks()
    on_commit = Hooks()
    on_rollback = Hooks()

    def __get__(self, instance: Any, owner: type | None) -> Any:
        if instance is None:
            return self
        import functools

        bound = functools.partial(self.__call__, instance)
        bound.submit = functools.partial(self.submit, instance)  # type: ignore[attr-defined]
        bound.map = functools.partial(self.map, instance)  # type: ignore[attr-defined]
        bound.fn = functools.partial(self.fn, instance)  # type: ignore[attr-defined]
        return bound

    # -- options ----------------------------------------------------------------------------
    _OPTION_NAMES = (
        "name", "description", "tags", "version", "cache_policy", "cache_key_fn",
        "cache_expiration", "task_run_name", "retries", "retry_delay_seconds",
        "retry_jitter_factor", "persist_result", "result_storage", "result_serializer",
        "result_storage_key", "cache_result_in_memory", "timeout_seconds", "log_prints",
        "refresh_cache", "retry_condition_fn", "viz_return_value", "asset_deps",
    )  # fmt: skip

    def with_options(self, **options: Any) -> Task[P, R]:
        """A copy of this task with some options changed.

        >>> slow_fetch = fetch.with_options(retries=5, timeout_seconds=30)  # doctest: +SKIP
        """
        current: dict[str, Any] = {name: getattr(self, name) for name in self._OPTION_NAMES}
        current["on_completion"] = self.on_completion_hooks
        current["on_failure"] = self.on_failure_hooks
        current["on_running"] = self.on_running_hooks
        current["on_rollback"] = self.on_rollback_hooks
        current["on_commit"] = self.on_commit_hooks
        unknown = set(options) - set(current)
        if unknown:
            raise TypeError(
                f"Task.with_options() got unknown option(s) {sorted(unknown)}; "
                f"valid options: {', '.join(sorted(current))}."
            )
        current.update(options)
        return type(self)(self.fn, **current)

    # -- calls ------------------------------------------------------------------------------
    # NoReturn is what a function whose return type can't be inferred gets: this overload keeps
    # such a sync function from matching the Coroutine one (Prefect's overloads, kept as they are)
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self: Task[P, NoReturn], *args: P.args, **kwargs: P.kwargs
    ) -> None: ...

    @overload
    def __call__(
        self: Task[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task now and return its result (``return_state=True``: its final state)."""
        return_state = kwargs.pop("return_state", False) if kwargs else False
        wait_for = kwargs.pop("wait_for", None) if kwargs else None
        parameters = self._signature.bind(args, kwargs)
        task_engine = _task_engine or _load_task_engine()
        return_type = "state" if return_state else "result"
        if self.is_async:
            return task_engine.run_task_async(self, parameters, wait_for, return_type)
        return task_engine.run_task_sync(self, parameters, wait_for, return_type)

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Start the task in the flow's task runner and return a ``PrefectFuture`` at once.

        >>> future = fetch.submit("a")  # doctest: +SKIP
        >>> future.result()  # doctest: +SKIP
        """
        return_state = kwargs.pop("return_state", False)
        wait_for = kwargs.pop("wait_for", None)
        parameters = self._signature.bind(args, kwargs)
        future = _task_runner().submit(self, parameters, wait_for=wait_for)
        if return_state:
            future.wait()
            return future.state
        return future

    def map(self, *args: Any, **kwargs: Any) -> Any:
        """Submit one run per element of the iterable arguments (zipped together); wrap values
        that every run should get whole in ``unmapped()``. Returns a ``PrefectFutureList``.

        >>> add.map([1, 2, 3], unmapped(10)).result()  # doctest: +SKIP
        [11, 12, 13]
        """
        return_state = kwargs.pop("return_state", False)
        wait_for = kwargs.pop("wait_for", None)
        kwargs.pop("deferred", None)
        parameters = self._signature.bind(args, kwargs)
        futures = _task_runner().map(self, parameters, wait_for=wait_for)
        if return_state:
            futures.wait()
            return [f.state for f in futures]
        return futures

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> PrefectDistributedFuture[R]:
        """Schedule a run of this task for a task worker (``praefect task serve``,
        ``praefect.task_worker.serve()``) and return its future at once.

        >>> future = fetch.delay("a")  # doctest: +SKIP
        >>> future.result(timeout=10)  # doctest: +SKIP
        'A'
        """
        return self.apply_async(args=args, kwargs=kwargs)

    def apply_async(
        self,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, Any] | None = None,
    ) -> PrefectDistributedFuture[R]:
        """``delay()`` with its options: the run starts once the futures in ``wait_for`` are
        done, and ``dependencies`` (parameter name: upstream task runs) go into its run graph.
        An argument that cannot be serialised raises ``SerializationError`` naming it, here.

        >>> future = fetch.apply_async(("a",), wait_for=[other])  # doctest: +SKIP
        """
        from praefect.engine import background

        parameters = self._signature.bind(tuple(args or ()), dict(kwargs or {}))
        return background.schedule(self, parameters, wait_for, dependencies)

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


_default_runner: Any = None
_task_engine: Any = None


def _load_task_engine() -> Any:
    # imported on the first call, not at decoration: `import praefect` stays light
    global _task_engine
    from praefect.engine import task_engine

    _task_engine = task_engine
    return task_engine


def _task_runner() -> Any:
    """The current flow run's task runner; outside a flow, a process-wide thread pool."""
    from praefect.context import FlowRunContext

    ctx = FlowRunContext.enclosing()
    if ctx is not None:
        return ctx.task_runner
    global _default_runner
    if _default_runner is None:
        from praefect.task_runners import ThreadPoolTaskRunner

        _default_runner = ThreadPoolTaskRunner()
    return _default_runner


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(__fn: None = None, **options: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(__fn: Any = None, **options: Any) -> Any:
    """Make a function a task. Use bare (``@task``) or with options (``@task(retries=3)``).

    Options: name, description, tags, version, task_run_name, retries, retry_delay_seconds
    (a number, a list, or a callable such as ``exponential_backoff(10)``), retry_jitter_factor,
    retry_condition_fn, timeout_seconds, log_prints, on_completion, on_failure, on_running,
    and the result and cache options (see docs/flows-and-tasks.md).
    """
    if __fn is not None:
        return Task(__fn, **options)
    return lambda fn: Task(fn, **options)


def task_input_hash(context: TaskRunContext, arguments: dict[str, Any]) -> str | None:
    """A cache key from the task's key and its inputs (for ``cache_key_fn``)."""
    import cloudpickle

    try:
        raw = cloudpickle.dumps((context.task.task_key, arguments))
    except Exception:
        return None
    return hashlib.sha256(raw).hexdigest()
