"""Transactions: work that commits together or rolls back together (Prefect 3's
``prefect.transactions``).

Inside ``with transaction():`` every task run stages its result; they are written when the
outermost transaction commits. An exception in the block rolls the whole tree back, running
rollback hooks newest first, and is re-raised. A keyed transaction is committed once its key has
a record in the result store, which makes work idempotent::

    >>> from praefect.transactions import transaction
    >>> from praefect.results import ResultStore
    >>> store = ResultStore(result_storage="memory://doc-txn")
    >>> for attempt in range(2):
    ...     with transaction(key="load-2024-01-01", store=store) as txn:
    ...         if txn.is_committed():
    ...             print("already done")
    ...         else:
    ...             txn.stage("loaded")
    already done

With ``isolation_level="SERIALIZABLE"`` the key's lock is taken on entry (waiting for another
holder), so two processes racing on one key compute the value once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import enum
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.locking import protocol as _lock_protocol

if TYPE_CHECKING:
    from praefect.results import ResultStore

__all__ = [
    "AsyncTransaction",
    "BaseTransaction",
    "CommitMode",
    "IsolationLevel",
    "Transaction",
    "TransactionState",
    "atransaction",
    "get_transaction",
    "transaction",
]

_NOT_SET: Any = object()


class CommitMode(enum.StrEnum):
    """When a transaction writes its staged value."""

    EAGER = "EAGER"
    """On leaving its block, even when nested."""
    LAZY = "LAZY"
    """When the outermost transaction commits (the default)."""
    OFF = "OFF"
    """Never: an outermost OFF transaction rolls back unless committed by hand."""


class IsolationLevel(enum.StrEnum):
    """What concurrent transactions on one key see."""

    READ_COMMITTED = "READ_COMMITTED"
    """Others see a record once written; two may compute it at the same time."""
    SERIALIZABLE = "SERIALIZABLE"
    """One holder at a time: the key's lock is taken on entry, others wait and then find the
    record committed."""


class TransactionState(enum.StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    STAGED = "STAGED"
    COMMITTED = "COMMITTED"
    ROLLED_BACK = "ROLLED_BACK"


Hook = Callable[["Transaction"], Any]

_current: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "praefect_transaction", default=None
)


# unique per transaction within this process; default_holder() makes it unique across processes
_holder_ids = itertools.count(1)


def get_transaction() -> Transaction | None:
    """The transaction open here, or None.

    >>> get_transaction() is None
    True
    """
    return _current.get()


class Transaction:
    """One transaction; use it through ``transaction()`` (or as a context manager).

    >>> calls = []
    >>> try:
    ...     with Transaction() as txn:
    ...         txn.stage(1, on_rollback_hooks=[lambda t: calls.append("undo")])
    ...         raise ValueError("boom")
    ... except ValueError:
    ...     pass
    >>> calls, txn.is_rolled_back()
    (['undo'], True)
    """

    def __init__(
        self,
        key: str | None = None,
        store: ResultStore | None = None,
        commit_mode: CommitMode | str | None = None,
        isolation_level: IsolationLevel | str | None = None,
        overwrite: bool = False,
        write_on_commit: bool = True,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        self.key = key
        self.store = store
        self.commit_mode = CommitMode(commit_mode) if commit_mode is not None else None
        self.isolation_level = (
            IsolationLevel(isolation_level) if isinstance(isolation_level, str) else isolation_level
        )
        self.overwrite = overwrite
        self.write_on_commit = write_on_commit
        self.logger = logger or logging.getLogger("praefect.transactions")
        self.state = TransactionState.PENDING
        self.children: list[Transaction] = []
        self.on_commit_hooks: list[Hook] = []
        self.on_rollback_hooks: list[Hook] = []
        self._staged_value: Any = None
        self._stored_values: dict[str, Any] = {}
        self._parent: Transaction | None = None
        self._token: contextvars.Token[Transaction | None] | None = None
        self._holder = f"{_lock_protocol.default_holder()}:{next(_holder_ids)}"
        self._locked: tuple[ResultStore, str] | None = None
        """The store and key whose lock this transaction holds."""

    # -- state ----------------------------------------------------------------------------------
    def is_committed(self) -> bool:
        """Committed: by ``commit()``, or on entry because the key already had a record."""
        return self.state is TransactionState.COMMITTED

    def is_rolled_back(self) -> bool:
        return self.state is TransactionState.ROLLED_BACK

    def is_staged(self) -> bool:
        return self.state is TransactionState.STAGED

    def is_pending(self) -> bool:
        return self.state is TransactionState.PENDING

    def is_active(self) -> bool:
        return self.state is TransactionState.ACTIVE

    @classmethod
    def get_active(cls) -> Transaction | None:
        return _current.get()

    def get_parent(self) -> Transaction | None:
        """The transaction this one is nested in."""
        if self._token is not None or self._parent is not None:
            return self._parent
        return _current.get()

    def add_child(self, transaction: Transaction) -> None:
        self.children.append(transaction)

    # -- values shared with children ------------------------------------------------------------
    def set(self, name: str, value: object) -> None:
        """Store a value this transaction and its children can ``get``."""
        self._stored_values[name] = value

    def get(self, name: str, default: Any = _NOT_SET) -> Any:
        """A value set here or in a parent (a copy, so changing it changes nothing stored).

        Raises ``ValueError`` for an unknown name without a default."""
        if name in self._stored_values:
            value = self._stored_values[name]
            try:
                return copy.deepcopy(value)
            except Exception:
                return value
        parent = self.get_parent()
        if parent is not None:
            return parent.get(name, default)
        if default is not _NOT_SET:
            return default
        raise ValueError(f"Could not retrieve value for unknown key: {name!r}.")

    # -- lifecycle ------------------------------------------------------------------------------
    def prepare_transaction(self) -> None:
        if self._token is not None:
            raise RuntimeError("This transaction is already open; a transaction is entered once.")
        parent = _current.get()
        self._parent = parent
        if self.commit_mode is None:
            self.commit_mode = parent.commit_mode if parent else CommitMode.LAZY
        if self.isolation_level is None:
            self.isolation_level = parent.isolation_level if parent else None
        if self.isolation_level is None:
            self.isolation_level = IsolationLevel.READ_COMMITTED
        if parent is not None and parent.key == self.key and parent.store is self.store:
            self._holder = parent._holder  # a nested transaction on the same key re-enters
        if (
            self.store is not None
            and self.key
            and not self.store.supports_isolation_level(self.isolation_level)
        ):
            raise exceptions.ConfigurationError(
                f"Isolation level {self.isolation_level.value} is not supported by the result "
                f"store of transaction {self.key!r}; configure a lock manager on it."
            )
        self.state = TransactionState.ACTIVE

    def begin(self) -> None:
        """Take the key's lock (SERIALIZABLE) and mark the transaction committed when its key
        already has a record (unless ``overwrite``)."""
        store, key = self.store, self.key
        if store is not None and key and self.isolation_level is IsolationLevel.SERIALIZABLE:
            self.logger.debug("Acquiring lock for transaction %r", key)
            store.acquire_lock(key, holder=self._holder)
            self._locked = (store, key)
        try:
            committed = bool(
                not self.overwrite and store is not None and key and store.exists(key=key)
            )
        except BaseException:
            self._release_lock()
            raise
        self.state = TransactionState.COMMITTED if committed else TransactionState.ACTIVE

    def __enter__(self) -> Transaction:
        self.prepare_transaction()
        self.begin()
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is None:
            raise RuntimeError("This transaction was exited without being entered.")
        if exc_type is not None:
            self.rollback()
            self.reset()
            return
        if self.commit_mode is CommitMode.EAGER:
            self.commit()
        if self.get_parent() is not None:
            self.reset()  # the parent commits or rolls back this one with itself
            return
        if self.commit_mode is CommitMode.OFF:
            self.rollback()
        elif self.commit_mode is CommitMode.LAZY:
            self.commit()
        self.reset()

    def reset(self) -> None:
        """Leave the transaction's context; a nested one is handed to its parent (and, rolled
        back, rolls the parent back)."""
        parent = self._parent
        if parent is not None and self not in parent.children:
            parent.add_child(self)
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # exited in another context (a thread): just clear it
                _current.set(parent)
            self._token = None
        if parent is not None and self.state is TransactionState.ROLLED_BACK:
            parent.rollback()
        if parent is None:
            self._release_lock()

    # -- staging, commit, rollback --------------------------------------------------------------
    def stage(
        self,
        value: object,
        on_rollback_hooks: list[Hook] | None = None,
        on_commit_hooks: list[Hook] | None = None,
    ) -> None:
        """Set the value written on commit (a ``ResultRecord`` or any object) and add hooks,
        each called as ``hook(transaction)``."""
        if self.state is TransactionState.COMMITTED:
            return
        self._staged_value = value
        self.on_rollback_hooks += list(on_rollback_hooks or [])
        self.on_commit_hooks += list(on_commit_hooks or [])
        self.state = TransactionState.STAGED

    def read(self) -> Any:
        """The committed record of this transaction's key (a ``ResultRecord``)."""
        if self.store is None or not self.key:
            return None
        return self.store.read(key=self.key, holder=self._holder)

    def commit(self) -> bool:
        """Commit the children, run the commit hooks and write the staged value under the key
        (when ``write_on_commit``). A failure is logged and rolls back; returns whether it
        committed."""
        if self.state in (TransactionState.ROLLED_BACK, TransactionState.COMMITTED):
            self._release_lock()
            return False
        try:
            for child in self.children:
                child.commit()
            for hook in self.on_commit_hooks:
                self.run_hook(hook, "commit")
            if self.store is not None and self.key and self.write_on_commit:
                self._write_staged(self.store, self.key)
            self.state = TransactionState.COMMITTED
            return True
        except Exception:
            self.logger.exception(
                "An error was encountered while committing transaction %r", self.key
            )
            self.rollback()
            return False
        finally:
            self._release_lock()

    def _write_staged(self, store: ResultStore, key: str) -> None:
        from praefect import results

        value = self._staged_value
        if isinstance(value, results.ResultRecord) and hasattr(store, "persist_result_record"):
            store.persist_result_record(value, holder=self._holder)
        else:
            store.write(obj=value, key=key, holder=self._holder)

    def rollback(self) -> bool:
        """Run this transaction's rollback hooks newest first, then roll back its children newest
        first. A hook that raises is logged and the others still run."""
        if self.state in (TransactionState.ROLLED_BACK, TransactionState.COMMITTED):
            self._release_lock()
            return False
        try:
            for hook in reversed(self.on_rollback_hooks):
                try:
                    self.run_hook(hook, "rollback")
                except Exception:
                    pass  # logged by run_hook; the remaining hooks still run
            self.state = TransactionState.ROLLED_BACK
            for child in reversed(self.children):
                child.rollback()
            return True
        finally:
            self._release_lock()

    def run_hook(self, hook: Hook, hook_type: str) -> None:
        name = getattr(hook, "__name__", repr(hook))
        self.logger.info("Running %s hook %r", hook_type, name)
        try:
            hook(self)
        except Exception:
            self.logger.exception(
                "An error was encountered while running %s hook %r", hook_type, name
            )
            raise
        self.logger.info("%s hook %r finished running successfully", hook_type.capitalize(), name)

    def _release_lock(self) -> None:
        if self._locked is None:
            return
        store, key = self._locked
        self._locked = None
        try:
            store.release_lock(key, holder=self._holder)
        except ValueError:
            pass  # taken over after its hold timeout: nothing left to release

    def __repr__(self) -> str:
        return f"Transaction(key={self.key!r}, state={self.state.value})"


BaseTransaction = Transaction


class AsyncTransaction(Transaction):
    """A transaction for ``async with``: waiting for a SERIALIZABLE lock does not block the
    event loop."""

    async def __aenter__(self) -> AsyncTransaction:
        self.prepare_transaction()
        await asyncio.to_thread(self.begin)
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def _resolve(
    key: str | None,
    store: ResultStore | None,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None,
) -> tuple[ResultStore | None, logging.Logger | logging.LoggerAdapter[Any]]:
    if key and store is None:
        from praefect import results

        store = results.get_result_store()
    if logger is None:
        try:
            from praefect.logging import get_run_logger

            logger = get_run_logger()
        except exceptions.MissingContextError:
            logger = logging.getLogger("praefect.transactions")
    return store, logger


@contextlib.contextmanager
def transaction(
    key: str | None = None,
    store: Any = None,
    commit_mode: CommitMode | str | None = None,
    isolation_level: IsolationLevel | str | None = None,
    overwrite: bool = False,
    write_on_commit: bool = True,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> Iterator[Transaction]:
    """Open a transaction. With a ``key`` and no ``store``, the run's result store is used.

    >>> with transaction() as txn:
    ...     txn.set("batch", 3)
    ...     with transaction() as inner:
    ...         inner.get("batch")
    3
    """
    store, logger = _resolve(key, store, logger)
    with Transaction(
        key=key,
        store=store,
        commit_mode=commit_mode,
        isolation_level=isolation_level,
        overwrite=overwrite,
        write_on_commit=write_on_commit,
        logger=logger,
    ) as txn:
        yield txn


@contextlib.asynccontextmanager
async def atransaction(
    key: str | None = None,
    store: Any = None,
    commit_mode: CommitMode | str | None = None,
    isolation_level: IsolationLevel | str | None = None,
    overwrite: bool = False,
    write_on_commit: bool = True,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> AsyncIterator[AsyncTransaction]:
    """``transaction()`` for ``async with``."""
    store, logger = _resolve(key, store, logger)
    async with AsyncTransaction(
        key=key,
        store=store,
        commit_mode=commit_mode,
        isolation_level=isolation_level,
        overwrite=overwrite,
        write_on_commit=write_on_commit,
        logger=logger,
    ) as txn:
        yield txn
