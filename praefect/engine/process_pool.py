"""Task runs in worker processes: the machinery behind ``ProcessPoolTaskRunner``.

In the flow's process, ``ProcessPool.submit`` creates the task run record and its Pending state
at once (the run graph is complete before anything runs, as with threads) and returns a future.
A dispatcher thread then takes the run once its upstream futures are done (done-callbacks count
them down, so no thread waits), resolves its parameters, and ships the task, its parameters and
a description of the run (the task run record's fields, the flow run's id, name, run count,
parameters and ``log_prints``, and the settings in force at ``submit``) to a worker of a
``concurrent.futures.ProcessPoolExecutor``, pickled with cloudpickle.

The worker (``run_in_worker``) rebuilds a minimal flow run context from that description, runs
the same run logic as a thread would (``task_engine.run_prepared_sync``: retries, timeouts,
hooks, ``log_prints``), records states and logs to the same database through its own client,
flushes, and returns the final state. An exception keeps its type; the worker's traceback text
becomes its ``__cause__`` (a ``RemoteTraceback``), as ``concurrent.futures`` does. A worker
that dies (``os._exit``, a signal, out of memory) ends its run Crashed.

Workers start with the ``forkserver`` method (``spawn`` where there is none): never ``fork``,
as the flow's process runs threads. The fork server preloads praefect once, so the pool of
each later flow run starts in tens of milliseconds instead of a fresh interpreter's second.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextvars
import dataclasses
import functools
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from types import CodeType
from typing import TYPE_CHECKING, Any

import cloudpickle

from praefect import client as _client_module
from praefect import exceptions
from praefect import settings as _settings
from praefect.context import FlowRunContext, TagsContext
from praefect.engine import dependencies, shared, task_engine
from praefect.engine.drivers import drive_sync
from praefect.engine.records import FlowRunRecord, TaskRunRecord
from praefect.futures import PrefectConcurrentFuture
from praefect.logging import handlers as _log_handlers
from praefect.schemas.states import State, StateType
from praefect.states import Crashed, Failed, exception_to_crashed_state
from praefect.utilities import clock as _clock

if TYPE_CHECKING:
    from praefect.client.base import OrchestrationClient
    from praefect.tasks import Task

__all__ = ["ProcessPool", "RemoteTraceback", "run_in_worker"]

# Fields of a task run that change while it runs in a worker (sent back to the parent's record).
_RUN_FIELDS = ("run_count", "start_time", "end_time", "total_run_time", "cache_key")
_FLOW_RUN_FIELDS = (
    "id",
    "name",
    "flow_id",
    "run_count",
    "parent_task_run_id",
    "parent_flow_run_id",
    "expected_start_time",
    "start_time",
    "deployment_id",
)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process; set as that exception's
    ``__cause__`` in the flow's process, so it is printed above the exception."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb.rstrip()}\n"""'


def mp_context() -> Any:
    """The multiprocessing context of the pools: forkserver preloading praefect, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    from multiprocessing import forkserver

    # Keep what the program preloads already; it only takes effect before the server starts.
    current = list(getattr(forkserver._forkserver, "_preload_modules", None) or [])
    if __name__ not in current:
        ctx.set_forkserver_preload([*current, __name__])
    return ctx


# -- the flow's process ----------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Job:
    """One submitted task run on its way to a worker."""

    task: Task[..., Any]
    run: TaskRunRecord
    parameters: dict[str, Any]
    upstreams: list[dependencies.Upstream]
    needs_resolving: bool
    outer: cf.Future[State]
    context: contextvars.Context
    client: OrchestrationClient
    settings: _settings.Settings
    tags: frozenset[str]


class ProcessPool:
    """The process side of one ``ProcessPoolTaskRunner`` (one per flow run). The executor
    starts on the first run that is shipped."""

    def __init__(self, max_workers: int | None, task_runner: Callable[[], Any]) -> None:
        self.max_workers = max_workers
        self.task_runner = task_runner
        """Makes the task runner of a worker's flow context, for the tasks a task submits
        there (sent to the worker pickled by reference: the class, not an instance)."""
        self._executor: cf.ProcessPoolExecutor | None = None
        self._retired: list[cf.ProcessPoolExecutor] = []
        self._lock = threading.Lock()
        self._outstanding: set[cf.Future[Any]] = set()
        self._ready: collections.deque[_Job] = collections.deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._task_blobs: dict[int, tuple[Any, bytes]] = {}
        self._flow_blob: tuple[Any, Any, dict[str, Any] | None, bytes] | None = None

    # -- submit ------------------------------------------------------------------------------
    def submit(
        self, task: Task[..., Any], parameters: dict[str, Any], wait_for: Any = None
    ) -> PrefectConcurrentFuture[Any]:
        """Create the run (Pending, in the store) and return its future at once."""
        if self._closed:
            raise RuntimeError("This ProcessPoolTaskRunner is shut down; use a new one.")
        flow_ctx = FlowRunContext.get()
        run, upstreams, needs_resolving = task_engine.create_task_run(
            task, parameters, wait_for, flow_ctx
        )
        outer: cf.Future[Any] = cf.Future()
        client = flow_ctx.client if flow_ctx is not None else None
        job = _Job(
            task=task,
            run=run,
            parameters=parameters,
            upstreams=upstreams,
            needs_resolving=needs_resolving,
            outer=outer,
            context=contextvars.copy_context(),
            client=client or _client_module.get_orchestration_client(),
            settings=_settings.get_current_settings(),
            tags=TagsContext._var.get(),
        )
        with self._lock:
            self._outstanding.add(outer)
        outer.add_done_callback(self._outstanding.discard)

        waiting = [
            up.item for up in upstreams if not isinstance(up.item, State) and not up.item.done()
        ]
        if not waiting:
            self._enqueue(job)
        else:
            count = [len(waiting)]
            count_lock = threading.Lock()

            def one_done(_: Any) -> None:
                with count_lock:
                    count[0] -= 1
                    last = count[0] == 0
                if last:
                    self._enqueue(job)

            for item in waiting:
                item.add_done_callback(one_done)
        return PrefectConcurrentFuture(run.id, outer, run)

    def _enqueue(self, job: _Job) -> None:
        self._ready.append(job)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._dispatch_loop, name="praefect-process-dispatch", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    # -- the dispatcher thread ---------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._ready:
                batch = []
                while self._ready:
                    batch.append(self._ready.popleft())
                # The store upserts a run's row last-writer-wins: the Pending state written here
                # must be committed before a worker writes Running. One flush per batch.
                clients = {id(job.client): job.client for job in batch}
                for client in clients.values():
                    client.flush()
                for job in batch:
                    job.context.run(self._dispatch, job)
            if self._closed and not self._ready:
                return

    def _dispatch(self, job: _Job) -> None:
        try:
            if job.upstreams and dependencies.first_unready(job.upstreams) is not None:
                # The run logic records NotReady; its upstreams are final, so it does not wait.
                steps = task_engine.task_steps(
                    job.task, job.run, job.parameters, job.upstreams, job.needs_resolving
                )
                job.outer.set_result(drive_sync(steps))
                return
            parameters = job.parameters
            if job.needs_resolving:
                parameters = dependencies.resolve(parameters)
            payload = self._payload(job, parameters)
        except _CannotShip as exc:
            self._settle(job, _failed(str(exc), exc.error))
            return
        except BaseException as exc:  # noqa: BLE001 - the run crashes, the dispatcher goes on
            self._settle(job, exception_to_crashed_state(exc))
            return
        try:
            executor, future = self._submit_to_pool(payload)
        except BaseException as exc:  # noqa: BLE001
            self._settle(job, exception_to_crashed_state(exc))
            return
        future.add_done_callback(functools.partial(self._on_worker_done, job, executor))

    def _payload(self, job: _Job, parameters: dict[str, Any]) -> tuple[Any, ...]:
        task = job.task
        try:
            params_blob = cloudpickle.dumps(parameters)
        except Exception as exc:
            names = [n for n, v in parameters.items() if not _picklable(v)] or list(parameters)
            raise _CannotShip(
                f"Task {task.name!r} could not be sent to a worker process: its parameter(s) "
                f"{', '.join(names)} cannot be pickled ({type(exc).__name__}: {exc}). Pass "
                "picklable values (data, paths, ids) and open resources inside the task.",
                exc,
            ) from None
        cached = self._task_blobs.get(id(task))
        if cached is None or cached[0] is not task:
            try:
                blob = cloudpickle.dumps((task, _source_file(task)))
            except Exception as exc:
                raise _CannotShip(
                    f"Task {task.name!r} could not be sent to a worker process: the task "
                    f"cannot be pickled ({type(exc).__name__}: {exc}). Tasks that run in "
                    "processes must not hold open resources (locks, connections) in their "
                    "closures or options.",
                    exc,
                ) from None
            cached = self._task_blobs[id(task)] = (task, blob)
        flow_ctx = job.run.flow_context
        spec = {
            "task_name": task.name,
            "run": job.run.to_row(),
            "settings": job.settings,
            "tags": job.tags,
            "flow": self._flow_spec(flow_ctx) if flow_ctx is not None else None,
        }
        flow_blob = self._flow_blob[3] if flow_ctx is not None and self._flow_blob else b""
        return spec, cached[1], params_blob, flow_blob

    def _flow_spec(self, flow_ctx: FlowRunContext) -> dict[str, Any]:
        cached = self._flow_blob
        if cached is not None and cached[0] is flow_ctx and cached[1] is flow_ctx.parameters:
            return cached[2]  # type: ignore[return-value]
        flow_run = flow_ctx.flow_run
        flow = flow_ctx.flow
        spec = {
            "flow_name": getattr(flow, "name", None) or getattr(flow_run, "flow_name", None),
            "flow_version": getattr(flow, "version", None),
            "empirical_policy": getattr(flow_run, "empirical_policy", None),
            "tags": list(getattr(flow_run, "tags", []) or []),
            "fields": {k: getattr(flow_run, k, None) for k in _FLOW_RUN_FIELDS},
            "log_prints": flow_ctx.log_prints,
            "root_flow_run_id": flow_ctx.root_flow_run_id,
            "persist_result": getattr(flow_ctx, "persist_result", None),
            "task_runner": self.task_runner,
        }
        parameters = _picklable_parameters(flow_ctx.parameters, flow_run.id)
        store = getattr(flow_ctx, "result_store", None)
        try:
            blob = cloudpickle.dumps((parameters, store))
        except Exception:
            blob = cloudpickle.dumps((parameters, None))
        self._flow_blob = (flow_ctx, flow_ctx.parameters, spec, blob)
        return spec

    def _pool(self) -> cf.ProcessPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = cf.ProcessPoolExecutor(
                        max_workers=self.max_workers,
                        mp_context=mp_context(),
                        initializer=_init_worker,
                        initargs=(dict(os.environ),),
                    )
        return executor

    def _retire(self, executor: cf.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
                self._retired.append(executor)

    def _submit_to_pool(self, payload: tuple[Any, ...]) -> tuple[Any, cf.Future[Any]]:
        executor = self._pool()
        try:
            return executor, executor.submit(run_in_worker, *payload)
        except BrokenProcessPool:
            # A worker died since the last run: the next runs go to a fresh pool.
            self._retire(executor)
            executor = self._pool()
            return executor, executor.submit(run_in_worker, *payload)

    def _on_worker_done(
        self, job: _Job, executor: cf.ProcessPoolExecutor, future: cf.Future[Any]
    ) -> None:
        # Runs on the executor's thread (or inline): settle in a copy of the submitter's context.
        job.context.copy().run(self._collect, job, executor, future)

    def _collect(self, job: _Job, executor: cf.ProcessPoolExecutor, future: cf.Future[Any]) -> None:
        run = job.run
        try:
            blob, fields, tb = future.result()
        except BrokenProcessPool:
            self._retire(executor)
            message = (
                "The worker process running this task run died unexpectedly (killed by a "
                "signal, os._exit() or out of memory); any other run in the process pool at "
                "that moment ends Crashed too, and later runs go to a fresh pool."
            )
            self._settle(job, Crashed(message=message))
            return
        except BaseException as exc:  # noqa: BLE001 - anything else also ends the run Crashed
            self._settle(job, exception_to_crashed_state(exc))
            return
        try:
            state = pickle.loads(blob)
        except Exception as exc:
            self._settle(
                job,
                _failed(
                    f"Task run {run.name!r} finished in a worker process but its final state "
                    f"could not be loaded in the flow's process ({type(exc).__name__}: {exc}).",
                    exc,
                ),
            )
            return
        for name, value in fields.items():
            setattr(run, name, value)
        if tb and isinstance(state.data, BaseException):
            state.data.__cause__ = RemoteTraceback(tb)
        run.state = state
        job.outer.set_result(state)

    def _settle(self, job: _Job, state: State) -> None:
        """End a run here, in the flow's process (it never reached a worker, or its worker
        died): record the state unless it was recorded already, and resolve the future."""
        if job.run.state is not state:
            job.run.end_time = _clock.now()
            shared.record_task_run(job.run, state)
        if not job.outer.done():
            job.outer.set_result(state)

    # -- shutdown ----------------------------------------------------------------------------
    def close(self) -> None:
        """Wait for every submitted run, then stop the dispatcher and the workers."""
        while True:
            with self._lock:
                pending = [f for f in self._outstanding if not f.done()]
            if not pending:
                break
            cf.wait(pending)
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            executors = [*self._retired, *([self._executor] if self._executor else [])]
            self._executor = None
            self._retired = []
        for executor in executors:
            executor.shutdown(wait=True)


class _CannotShip(Exception):
    def __init__(self, message: str, error: BaseException) -> None:
        super().__init__(message)
        self.error = error


def _failed(message: str, error: BaseException | None) -> State:
    data = exceptions.SerializationError(message)
    if error is not None:
        data.__cause__ = error
    return Failed(message=message, data=data)


def _picklable(value: object) -> bool:
    try:
        cloudpickle.dumps(value)
    except Exception:
        return False
    return True


class _NotSent:
    """Stands in, in a worker, for a flow parameter that could not be pickled. Its token is
    unique per flow run, so a cache key computed from it never matches another run's."""

    def __init__(self, type_name: str, token: str) -> None:
        self.type_name = type_name
        self.token = token

    def __repr__(self) -> str:
        return f"<{self.type_name} not sent to the worker process>"


def _picklable_parameters(parameters: dict[str, Any], flow_run_id: Any) -> dict[str, Any]:
    if _picklable(parameters):
        return parameters
    return {
        k: v if _picklable(v) else _NotSent(type(v).__name__, str(flow_run_id))
        for k, v in parameters.items()
    }


# -- the worker process ----------------------------------------------------------------------


def _init_worker(environ: dict[str, str]) -> None:
    # A fork-server child inherits the server's environment, not the flow's: use the flow's,
    # as a spawned process would (sys.path and the working directory come with the start).
    for key in [k for k in os.environ if k not in environ]:
        del os.environ[key]
    os.environ.update(environ)


class _FlowInfo:
    """What a worker knows of the flow: enough for records, loggers and ``runtime``."""

    def __init__(self, name: str, version: Any, empirical_policy: Any) -> None:
        self.name = name
        self.version = version
        self.empirical_policy = empirical_policy


class _TaskInfo:
    """Stands in for a task that could not be loaded in the worker, to record its failure."""

    def __init__(self, name: str, row: dict[str, Any]) -> None:
        self.name = name
        self.task_key = row["task_key"]
        self.version = row.get("task_version")
        self.empirical_policy = row.get("empirical_policy")


_tasks: dict[bytes, Any] = {}
_flow_parameters: tuple[bytes, Any] | None = None


def _source_file(task: object) -> str | None:
    code = getattr(getattr(task, "fn", None), "__code__", None)
    return code.co_filename if code is not None else None


def _with_filename(code: CodeType, filename: str) -> CodeType:
    consts = tuple(
        _with_filename(const, filename) if isinstance(const, CodeType) else const
        for const in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def _load_task(blob: bytes) -> Any:
    task = _tasks.get(blob)
    if task is None:
        if len(_tasks) >= 64:
            _tasks.clear()
        task, filename = cloudpickle.loads(blob)
        fn = getattr(task, "fn", None)
        code = getattr(fn, "__code__", None)
        # cloudpickle 3.1.3+ names code sent by value "<dynamic-code>"; give it back its file
        # so a worker's traceback shows the user's source lines.
        if filename and fn is not None and code is not None and code.co_filename != filename:
            fn.__code__ = _with_filename(code, filename)
        _tasks[blob] = task
    return task


def _load_flow(blob: bytes) -> Any:
    global _flow_parameters
    cached = _flow_parameters
    if cached is None or cached[0] != blob:
        cached = _flow_parameters = (blob, cloudpickle.loads(blob))
    return cached[1]


def _flow_context(spec: dict[str, Any], blob: bytes, client: OrchestrationClient) -> FlowRunContext:
    parameters, store = _load_flow(blob)
    info = _FlowInfo(spec["flow_name"], spec["flow_version"], spec["empirical_policy"])
    flow_run = FlowRunRecord(info, parameters, spec["tags"])
    for name, value in spec["fields"].items():
        setattr(flow_run, name, value)
    ctx = FlowRunContext(
        info,
        flow_run,
        parameters,
        spec["task_runner"](),
        spec["log_prints"],
        spec["root_flow_run_id"],
    )
    ctx.client = client
    ctx.persist_result = spec["persist_result"]
    if store is not None and hasattr(ctx, "result_store"):
        ctx.result_store = store
    return ctx


def run_in_worker(
    spec: dict[str, Any], task_blob: bytes, params_blob: bytes, flow_blob: bytes
) -> tuple[bytes, dict[str, Any], str | None]:
    """Run one task run in this worker process with the flow's settings; return its final
    state (cloudpickled), the record fields that changed, and the traceback text of its
    exception if it failed."""
    # The flow's settings object itself, as ``temporary_settings`` would install it (a copy
    # through ``temporary_settings`` costs a third of this function's time for a tiny task).
    token = _settings._override.set(spec["settings"])
    try:
        client = _client_module.get_orchestration_client()
        try:
            return _run(spec, task_blob, params_blob, flow_blob, client)
        finally:
            client.flush()
    finally:
        _settings._override.reset(token)


def _run(
    spec: dict[str, Any], task_blob: bytes, params_blob: bytes, flow_blob: bytes, client: Any
) -> tuple[bytes, dict[str, Any], str | None]:
    row = spec["run"]
    flow_ctx = _flow_context(spec["flow"], flow_blob, client) if spec["flow"] else None
    load_error: BaseException | None = None
    try:
        task = _load_task(task_blob)
        parameters = cloudpickle.loads(params_blob)
    except Exception as exc:
        task, parameters, load_error = _TaskInfo(spec["task_name"], row), {}, exc
    run = TaskRunRecord(task, row["name"], flow_ctx, row["tags"], row["task_inputs"])
    for name, value in row.items():
        if name in TaskRunRecord.__slots__:
            setattr(run, name, value)

    if load_error is not None:
        message = (
            f"Task {spec['task_name']!r} could not be loaded in the worker process "
            f"({type(load_error).__name__}: {load_error}). Define tasks in a module the worker "
            "can import, or in the script that runs the flow."
        )
        state = _failed(message, load_error)
        shared.record_task_run(run, state)
        return _reply(run, state)

    log_prints = (
        task.log_prints if task.log_prints is not None else bool(flow_ctx and flow_ctx.log_prints)
    )
    if log_prints:
        from praefect.logging import prints

        prints.install()
    flow_token = FlowRunContext._var.set(flow_ctx)
    tags_token = TagsContext._var.set(spec["tags"])
    try:
        state = task_engine.run_prepared_sync(task, run, parameters, [], False)
    except BaseException as exc:  # noqa: BLE001 - the run crashed (recorded by the run logic)
        crashed = run.state
        if crashed is None or crashed.type is not StateType.CRASHED:
            crashed = exception_to_crashed_state(exc)
            shared.record_task_run(run, crashed)
        state = crashed
    finally:
        TagsContext._var.reset(tags_token)
        FlowRunContext._var.reset(flow_token)
        if flow_ctx is not None:
            flow_ctx.task_runner.__exit__(None, None, None)
    return _reply(run, state)


def _dumps(value: object) -> bytes:
    # The standard pickler is several times faster; it refuses (rather than mis-pickles) what
    # only cloudpickle can carry: objects of classes that came by value, lambdas, closures.
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return cloudpickle.dumps(value)


def _reply(run: TaskRunRecord, state: State) -> tuple[bytes, dict[str, Any], str | None]:
    data = state.data
    tb = _log_handlers.user_traceback(data) if isinstance(data, BaseException) else None
    try:
        blob = _dumps(state)
        if tb is not None:
            pickle.loads(blob)  # a custom exception may pickle but not load
    except Exception as exc:
        if isinstance(data, BaseException):
            # Recorded already with its real message; only the object cannot travel.
            stand_in = RuntimeError(
                f"{type(data).__qualname__}: {data} (the exception could not be sent back from "
                f"the worker process: {type(exc).__name__}: {exc})"
            )
            state = state.copy(data=stand_in)
        else:
            message = (
                f"Task run {run.name!r} finished in a worker process, but its result (of type "
                f"{type(data).__qualname__}) cannot be pickled to send it back to the flow "
                f"({type(exc).__name__}: {exc}). Return a picklable value, or persist the "
                "result and return a reference to it."
            )
            state = _failed(message, None)
            shared.record_task_run(run, state)
        blob = cloudpickle.dumps(state)
    return blob, {name: getattr(run, name) for name in _RUN_FIELDS}, tb
