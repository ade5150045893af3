"""Taking and holding concurrency slots, written once for ``sync`` and ``asyncio``.

``acquire`` asks the orchestrator for slots until it gets them: refused, it waits for a slot to
come free in this process (``utilities.slot_waiters``: a release here wakes it at once) or for a
poll delay that grows with each refusal (releases in other processes). ``Lease``s are renewed
by one background thread per process while they are held, so a holder that dies (even with
``kill -9``) stops renewing and its slots free themselves when the lease runs out.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from praefect import exceptions
from praefect.context import FlowRunContext, TaskRunContext
from praefect.utilities import slot_waiters

__all__ = ["DEFAULT_LEASE_SECONDS", "Lease", "acquire", "limited_tags", "names_of", "release"]

DEFAULT_LEASE_SECONDS = 300.0
"""Prefect's lease: a dead holder's slots come free after at most this long."""
_FIRST_POLL = 0.02
_MAX_POLL = 1.0
_logger = logging.getLogger("praefect.concurrency")
_OWNER = f"{socket.gethostname()}:{os.getpid()}"
"""Who takes the slots, shown beside their holder (``host:pid``; reset in a forked child)."""
_warned: set[str] = set()
_warned_lock = threading.Lock()


def names_of(names: str | Sequence[str]) -> list[str]:
    """``names`` as a list (one name may be given alone).

    >>> names_of("db"), names_of(["a", "b"])
    (['db'], ['a', 'b'])
    """
    return [names] if isinstance(names, str) else list(names)


@dataclass
class Lease:
    """Slots held: every limit in ``limits`` gave ``occupy`` slots to ``lease_id``."""

    lease_id: uuid.UUID
    limits: list[dict[str, Any]]
    door: Any
    lease_duration: float
    renewed: bool = field(default=False)
    """Kept alive by the renewer (concurrency leases; rate-limit slots decay instead)."""


def _door() -> Any:
    from praefect import client

    return client.get_orchestration_client()


def current_holder() -> dict[str, Any] | None:
    """The run taking slots: the task run, else the flow run, of the current context."""
    task_ctx = TaskRunContext._var.get()
    if task_ctx is not None:
        return {"type": "task_run", "id": task_ctx.task_run.id}
    flow_ctx = FlowRunContext._var.get()
    if flow_ctx is not None and getattr(flow_ctx, "flow_run", None) is not None:
        run_id = getattr(flow_ctx.flow_run, "id", None)
        if run_id is not None:
            return {"type": "flow_run", "id": run_id}
    return None


def _warn_missing(missing: Sequence[str]) -> None:
    with _warned_lock:
        new = [name for name in missing if name not in _warned]
        _warned.update(new)
    if new:
        _logger.warning(
            "No active concurrency limit named %s: running without one. Create it with"
            " `praefect gcl create NAME --limit N`, or pass strict=True to make this an error.",
            ", ".join(repr(n) for n in new),
        )


def acquire(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    strict: bool = False,
    lease_duration: float = DEFAULT_LEASE_SECONDS,
    mode: Literal["concurrency", "rate_limit"] = "concurrency",
    holder: Any = None,
    limit: int | None = None,
    door: Any = None,
    warn: bool = True,
    on_refused: Callable[[dict[str, Any]], None] | None = None,
) -> Lease | None:
    """Take ``occupy`` slots of every limit in ``names`` (all at once), waiting for them; the
    lease, or None when no name has an active limit. ``limit`` creates missing limits;
    ``on_refused`` is called with each refusal (``blocked``: the full limits) and may raise."""
    from praefect.schemas.concurrency import ConcurrencySlotsRequest

    wanted = names_of(names)
    if not wanted:
        return None
    if isinstance(occupy, bool) or not isinstance(occupy, int) or occupy < 1:
        raise ValueError(f"occupy must be a whole number, 1 or more; got {occupy!r}.")
    door = door or _door()
    if holder is None:
        holder = current_holder()
    elif hasattr(holder, "model_dump"):
        holder = holder.model_dump()
    request = ConcurrencySlotsRequest(
        names=wanted,
        slots=occupy,
        mode=mode,
        lease_duration=lease_duration,
        holder=holder,
        create_limit=limit,
        owner=_OWNER,
    )
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    poll = _FIRST_POLL
    refusals = 0
    while True:
        since = slot_waiters.generation()
        answer = door.acquire_concurrency_slots(request)
        if answer["lease_id"] is not None:
            return _granted(answer, wanted, strict, door, lease_duration, mode, warn)
        refusals += 1
        if on_refused is not None:
            on_refused(answer)
        if max_retries is not None and refusals > max_retries:
            raise exceptions.ConcurrencySlotAcquisitionError(
                f"No free slot in the concurrency limit(s) {', '.join(wanted)} after"
                f" {max_retries} retries.",
                names=wanted,
            )
        wait = poll * random.uniform(0.75, 1.25)
        if answer.get("retry_after"):
            wait = min(wait, max(answer["retry_after"], _FIRST_POLL))
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise exceptions.AcquireConcurrencySlotTimeoutError(
                    f"Attempt to acquire concurrency slots of {', '.join(wanted)} timed out"
                    f" after {timeout_seconds:g} second(s)."
                )
            wait = min(wait, left)
        slot_waiters.wait(since, wait)
        poll = min(poll * 2, _MAX_POLL)


def _granted(
    answer: dict[str, Any],
    wanted: list[str],
    strict: bool,
    door: Any,
    lease_duration: float,
    mode: str,
    warn: bool = True,
) -> Lease | None:
    found = {limit["name"] for limit in answer["limits"]}
    missing = [name for name in wanted if name not in found]
    if missing and strict:
        if found:
            door.release_concurrency_lease(answer["lease_id"])
        raise exceptions.ConcurrencySlotAcquisitionError(
            f"No active concurrency limit named {', '.join(repr(n) for n in missing)}"
            " (strict=True). Create it with `praefect gcl create NAME --limit N`.",
            names=missing,
        )
    if missing and warn:
        _warn_missing(missing)
    if not found:
        return None
    lease = Lease(answer["lease_id"], answer["limits"], door, lease_duration)
    if mode == "concurrency":
        lease.renewed = True
        _renewer.add(lease)
    return lease


_TAG_LIMITS_TTL = 2.0
_tag_limits: tuple[Any, int, float, frozenset[str]] | None = None
_tag_limits_lock = threading.Lock()


def limited_tags(tags: Sequence[str], door: Any = None) -> list[str]:
    """Those of ``tags`` that have a limit, from a list of tag limits this process reads at
    most every ``_TAG_LIMITS_TTL`` seconds (and again after any change of limits or slots made
    here): a task run with tags but no limit costs no request. A limit made in another process
    applies to task runs that start up to that long later."""
    global _tag_limits
    door = door or _door()
    generation = slot_waiters.generation()
    now = time.monotonic()
    known = _tag_limits
    if known is None or known[0] is not door or known[1] != generation or known[2] < now:
        rows = door.read_tag_concurrency_limits()
        with _tag_limits_lock:
            known = _tag_limits = (
                door,
                generation,
                now + _TAG_LIMITS_TTL,
                frozenset(row["tag"] for row in rows),
            )
    return [tag for tag in tags if tag in known[3]]


def release(lease: Lease | None) -> None:
    """Give back the slots of ``lease`` (None: nothing was taken)."""
    if lease is None or not lease.renewed:
        return
    _renewer.remove(lease.lease_id)
    lease.door.release_concurrency_lease(lease.lease_id)


class _Renewer:
    """One daemon thread renewing every held lease a third of its duration after the last
    renewal."""

    def __init__(self) -> None:
        self._leases: dict[uuid.UUID, tuple[Lease, float]] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wake_at = 0.0
        """When the thread wakes next on its own (monotonic time)."""

    def add(self, lease: Lease) -> None:
        due = time.monotonic() + lease.lease_duration / 3
        with self._changed:
            self._leases[lease.lease_id] = (lease, due)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="praefect-lease-renewer", daemon=True
                )
                self._thread.start()
            # wake the thread only if it would sleep past this lease's turn: waking it on every
            # slot taken costs the taker a GIL hand-over (up to 5 ms)
            if due < self._wake_at:
                self._changed.notify()

    def remove(self, lease_id: uuid.UUID) -> None:
        with self._changed:
            self._leases.pop(lease_id, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [lease for lease, at in self._leases.values() if at <= now]
                if not due:
                    soonest = min((at for _, at in self._leases.values()), default=now + 60)
                    self._wake_at = soonest
                    self._changed.wait(soonest - now)
                    self._wake_at = 0.0
                    continue
                for lease in due:
                    self._leases[lease.lease_id] = (lease, now + lease.lease_duration / 3)
            for lease in due:
                self._renew(lease)

    def _renew(self, lease: Lease) -> None:
        try:
            kept = lease.door.renew_concurrency_lease(lease.lease_id, lease.lease_duration)
        except Exception as exc:  # the next turn tries again, sooner
            _logger.warning("Could not renew concurrency lease %s: %s", lease.lease_id, exc)
            with self._changed:
                if lease.lease_id in self._leases:
                    retry = time.monotonic() + min(1.0, lease.lease_duration / 10)
                    self._leases[lease.lease_id] = (lease, retry)
            return
        if not kept:
            self.remove(lease.lease_id)
            names = ", ".join(limit["name"] for limit in lease.limits)
            _logger.warning(
                "The concurrency lease %s on %s expired before it was renewed: its slots may"
                " be someone else's now. Use a longer lease_duration.",
                lease.lease_id,
                names,
            )


_renewer = _Renewer()


def _after_fork() -> None:
    global _OWNER, _renewer
    _OWNER = f"{socket.gethostname()}:{os.getpid()}"
    _renewer = _Renewer()  # the parent's leases are the parent's to renew


os.register_at_fork(after_in_child=_after_fork)
