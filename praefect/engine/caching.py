"""Results, caching and transactions for one task run: the engine's side of them.

A task run takes this path only when it persists its result or runs inside a transaction;
every other task run skips it entirely (no store is built, no key computed), which keeps the
common case fast.

The cache key is the idempotency key is the storage key: a task run whose key already has a
valid record ends ``Cached`` without running; otherwise its result is written under that key
when its transaction commits. A key that cannot be computed caches nothing (fail closed).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from praefect import settings as _settings
from praefect import transactions
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.context import FlowRunContext, TaskRunContext
    from praefect.flows import Flow
    from praefect.tasks import Task

_logger = logging.getLogger("praefect.cache")


def wants_results(task: Task[..., Any], flow_ctx: FlowRunContext | None) -> bool:
    """Whether a task run must take the results/transactions path at all (cheap)."""
    if task.results_configured or transactions._current.get() is not None:
        return True
    if flow_ctx is not None and flow_ctx.persist_result is not None:
        return bool(flow_ctx.persist_result)
    return _settings.get_current_settings().results_persist_by_default


class ResultPlan:
    """What one task run does with its result: the store, the key, its transaction."""

    def __init__(
        self,
        task: Task[..., Any],
        task_ctx: TaskRunContext | None,
        parameters: dict[str, Any],
        flow_ctx: FlowRunContext | None,
    ) -> None:
        from praefect import cache_policies, results

        self.task = task
        parent = flow_ctx.persist_result if flow_ctx is not None else None
        self.persist = results.should_persist_result(
            task.persist_result,
            cache_policy=task.cache_policy,
            cache_key_fn=task.cache_key_fn,
            result_storage_key=task.result_storage_key,
            result_storage=task.result_storage,
            result_serializer=task.result_serializer,
            parent=parent,
        )
        self.store = results.get_result_store().update_for_task(task) if self.persist else None
        policy = task.cache_policy
        if policy is None:
            policy = (
                cache_policies.CacheKeyFnPolicy(cache_key_fn=task.cache_key_fn)
                if task.cache_key_fn is not None
                else cache_policies.DEFAULT
            )
        self.policy = policy
        self.key: str | None = None
        if self.persist:
            if task.result_storage_key is not None:
                self.key = results._format_user_supplied_storage_key(
                    task.result_storage_key, parameters
                )
            elif not getattr(policy, "is_no_cache", False):
                flow_parameters = flow_ctx.parameters if flow_ctx is not None else {}
                try:
                    self.key = policy.compute_key(task_ctx, parameters, flow_parameters)
                except Exception as exc:  # a custom policy that raises caches nothing
                    _logger.warning(
                        "Task %r: computing its cache key failed (%s: %s); the result is not "
                        "cached.",
                        task.name,
                        type(exc).__name__,
                        exc,
                    )
                    self.key = None
        self.txn = transactions.Transaction(
            key=self.key,
            store=self.store if self.key else None,
            overwrite=bool(task.refresh_cache),
            write_on_commit=self.persist,
            isolation_level=getattr(policy, "isolation_level", None),
            logger=_logger,
        )

    def begin(self) -> None:
        self.txn.__enter__()

    def cached_record(self, run_name: str) -> Any:
        """The valid record of this run's key (a cache hit), else None; logs hit or miss."""
        if not self.key:
            if self.persist:
                _logger.debug("Task run %r: no cache key, not cached.", run_name)
            return None
        if self.task.refresh_cache:
            _logger.debug(
                "Task run %r: cache miss for key %s (refresh_cache=True).", run_name, self.key
            )
            return None
        if self.txn.is_committed():
            try:
                record = self.txn.read()
            except Exception as exc:
                _logger.debug(
                    "Task run %r: cache miss for key %s (record unreadable: %s).",
                    run_name,
                    self.key,
                    exc,
                )
                return None
            _logger.debug("Task run %r: cache hit for key %s.", run_name, self.key)
            return record
        _logger.debug("Task run %r: cache miss for key %s (no valid record).", run_name, self.key)
        return None

    def stage(self, state: State, on_rolled_back: Any = None) -> None:
        """Stage a completed run's value in its transaction (written when it commits);
        ``on_rolled_back(txn)`` runs after the task's own rollback hooks if it rolls back."""
        task = self.task
        value = state.data
        if self.persist:
            record = self.store.create_result_record(  # type: ignore[union-attr]
                value, key=self.key, expiration=task.cache_expiration
            )
            state.data = record
            if self.key:
                state.state_details["cache_key"] = self.key
                if task.cache_expiration is not None:
                    state.state_details["cache_expiration"] = record.metadata.expiration
            else:
                self.store.persist_result_record(record)  # type: ignore[union-attr]
            value = record
        # rollback hooks run newest first: the marker goes first so it runs last
        marker = [on_rolled_back] if on_rolled_back is not None else []
        self.txn.stage(
            value,
            on_rollback_hooks=[*marker, *task.on_rollback_hooks],
            on_commit_hooks=task.on_commit_hooks,
        )

    def persist_exception(self, state: State) -> None:
        """Store a failed run's exception as its result (Prefect persists failures too), so
        another process reading the run gets the exception itself; one that cannot be
        serialised stays in memory only."""
        if not self.persist or not isinstance(state.data, BaseException):
            return
        try:
            record = self.store.create_result_record(state.data)  # type: ignore[union-attr]
            self.store.persist_result_record(record)  # type: ignore[union-attr]
        except Exception as exc:
            _logger.debug("The exception of a failed run could not be stored: %s", exc)
            return
        state.data = record

    def finish(self, ok: bool) -> None:
        """Leave the transaction; a run that did not complete writes nothing."""
        if not ok:
            self.txn.write_on_commit = False
        self.txn.__exit__(None, None, None)

    def crash(self, exc: BaseException) -> None:
        """Leave the transaction because the run crashed: it and its parents roll back."""
        self.txn.write_on_commit = False
        self.txn.__exit__(type(exc), exc, exc.__traceback__)


def flow_result_setup(flow: Flow[..., Any], flow_ctx: FlowRunContext) -> None:
    """Decide whether the flow (and, by default, its tasks) persist results."""
    if not (
        flow.persist_result is not None
        or flow.result_storage is not None
        or flow.result_serializer is not None
    ):
        return
    from praefect import results

    flow_ctx.persist_result = results.should_persist_result(
        flow.persist_result,
        result_storage=flow.result_storage,
        result_serializer=flow.result_serializer,
    )
    if flow.result_storage is not None or flow.result_serializer is not None:
        flow_ctx.result_store = results.get_result_store().update_for_flow(flow)


def persist_flow_result(flow: Flow[..., Any], flow_ctx: FlowRunContext, state: State) -> None:
    """Write a completed flow run's result to storage (the state keeps a reference)."""
    if not flow_ctx.persist_result:
        return
    from praefect import results

    store = flow_ctx.result_store or results.get_result_store().update_for_flow(flow)
    record = store.create_result_record(state.data)
    store.persist_result_record(record)
    state.data = record
