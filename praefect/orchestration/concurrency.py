"""Concurrency and rate limits: a slot is a lease row, nothing else.

A limit (``concurrency_limit``) says how many slots may be taken at once. A taken slot is a row
of ``concurrency_slot`` that expires: its holder renews the lease (every row of one
``lease_id``) while it works and deletes it when done. A holder that dies stops renewing and
its slots free themselves when the lease runs out. So a limit's occupancy is never a counter
that can drift from its holders: it is ``COUNT(*)`` of its live rows, and each row names its
holder (a run, a process).

Taking slots is all or nothing over several limits: the limits' rows are locked (``FOR
UPDATE`` on PostgreSQL; SQLite's writes are serial), their live slots counted, and the rows
inserted only if every limit has room. Names without a limit, and inactive limits, limit
nothing. A rate limit (``slot_decay_per_second`` > 0, mode ``rate_limit``) takes slots that
expire one after the other, ``1 / decay`` seconds apart: a leaky bucket of ``limit`` slots.

Tag limits (Prefect's v1 API) are limits named ``tag:<tag>`` whose holders are task runs.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> _ = database.write(engine, lambda c: create_limit(c, {"name": "db", "limit": 1}))
>>> taken = database.write(engine, lambda c: acquire(c, {"names": ["db"], "slots": 1}))
>>> database.write(engine, lambda c: acquire(c, {"names": ["db"], "slots": 1}))["lease_id"]
>>> database.write(engine, lambda c: release_lease(c, taken["lease_id"]))
True
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.utilities import clock

__all__ = [
    "TAG_PREFIX",
    "UNLEASED_SECONDS",
    "acquire",
    "create_limit",
    "create_tag_limit",
    "delete_limit",
    "delete_tag_limit",
    "read_leases",
    "read_limit",
    "read_limits",
    "read_tag_limit",
    "read_tag_limits",
    "release_lease",
    "release_slots",
    "release_tag_slots",
    "renew_lease",
    "reset_tag_limit",
    "tag_limit_name",
    "take_tag_slots",
    "update_limit",
]

TAG_PREFIX = "tag:"
"""Tag limits are the limits named ``tag:<tag>``."""
UNLEASED_SECONDS = 3600.0
"""How long slots taken without a lease stay taken (Prefect's ``/increment`` and tag
increments, which nobody renews) unless given back first."""
RATE_LIMIT_HOLDER = "rate_limit"
MAX_SLOTS_AT_ONCE = 10_000
"""The most slots one call takes or sets: each is a row (a limit itself may be larger)."""
_MAX_RETRY_AFTER = 30.0
_LONGEST_DECAY_SECONDS = 86_400.0  # a slot decaying slower than a day a slot frees in a day

_limit = tables.concurrency_limit
_slot = tables.concurrency_slot
_LIMIT_FIELDS = frozenset({"name", "limit", "active", "denied_slots", "slot_decay_per_second"})

# Taking and giving back slots is a hot path (each ``with concurrency(...)``): its statements are
# built once, with bound parameters, rather than per call (building one costs more than running
# it on SQLite).
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_NOW: sa.BindParameter[Any] = sa.bindparam("now")
# one order for every taker, so two takers of the same limits never wait for each other
_LOCK_LIMITS = (
    sa.select(_limit)
    .where(_limit.c.name.in_(sa.bindparam("names", expanding=True)))
    .order_by(_limit.c.name)
    .with_for_update()
)
# counted after the lock, in a statement of its own: on PostgreSQL a count in the locking
# statement would see the slots of the snapshot taken before it waited for the lock
_LIVE_COUNTS = (
    sa.select(_slot.c.limit_id, sa.func.count())
    .where(_slot.c.limit_id.in_(_IDS), _slot.c.expires > _NOW)
    .group_by(_slot.c.limit_id)
)
_DELETE_EXPIRED = _slot.delete().where(_slot.c.limit_id.in_(_IDS), _slot.c.expires <= _NOW)
_DENY = (
    _limit.update()
    .where(_limit.c.id.in_(_IDS))
    .values(denied_slots=_limit.c.denied_slots + sa.bindparam("slots"))
)
_INSERT_SLOTS = _slot.insert()
_RELEASE = (
    _slot.delete()
    .where(_slot.c.lease_id == sa.bindparam("lease_id"))
    .returning(_slot.c.limit_id, _slot.c.acquired)
)
_RECORD_OCCUPANCY = (
    _limit.update()
    .where(_limit.c.id == sa.bindparam("limit_id"))
    .values(
        avg_slot_occupancy_seconds=_limit.c.avg_slot_occupancy_seconds * (1 - 0.2)
        + sa.bindparam("held", type_=sa.Float()) * 0.2
    )
)
_RENEW = (
    _slot.update()
    .where(_slot.c.lease_id == sa.bindparam("renewed_lease"), _slot.c.expires > _NOW)
    .values(expires=sa.bindparam("new_expires"))
)


def tag_limit_name(tag: str) -> str:
    """The name of the limit of a tag.

    >>> tag_limit_name("db")
    'tag:db'
    """
    return TAG_PREFIX + tag


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return now or clock.now()


def _check_limit(value: Any, field: str = "limit") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field} must be a whole number, 0 or more; got {value!r}.")
    return value


def _check_taken(value: Any, field: str) -> int:
    if _check_limit(value, field) > MAX_SLOTS_AT_ONCE:
        raise ValueError(
            f"{field} must be at most {MAX_SLOTS_AT_ONCE} (each slot is a row); got {value!r}."
        )
    return int(value)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name or len(name) > 255 or any(c in name for c in "/%&><"):
        raise exceptions.InvalidNameError(
            f"Concurrency limit name {name!r} is not valid: use 1 to 255 characters,"
            " none of / % & > <."
        )
    return name


def _live(now: _dt.datetime) -> Any:
    return _slot.c.expires > now


def _counts(conn: Connection, limit_ids: Iterable[uuid.UUID], now: _dt.datetime) -> dict[Any, int]:
    ids = list(limit_ids)
    if not ids:
        return {}
    return {
        limit_id: count for limit_id, count in conn.execute(_LIVE_COUNTS, {"ids": ids, "now": now})
    }


def _as_dict(row: Any, active_slots: int) -> dict[str, Any]:
    limit = dict(row._mapping if hasattr(row, "_mapping") else row)
    limit["active_slots"] = active_slots
    return limit


def _find(conn: Connection, id_or_name: str | uuid.UUID, lock: bool = False) -> Any:
    """The limit row named ``id_or_name`` or with that id (a name that looks like an id is
    still found by name)."""
    where = [_limit.c.name == str(id_or_name)]
    try:
        where.append(_limit.c.id == uuid.UUID(str(id_or_name)))
    except ValueError:
        pass
    query = sa.select(_limit).where(sa.or_(*where))
    if lock:
        query = query.with_for_update()
    # an id wins over a name (names are unique, ids too: at most two rows)
    rows = sorted(conn.execute(query).all(), key=lambda r: r.name == str(id_or_name))
    return rows[0] if rows else None


# -- limits --------------------------------------------------------------------------------------
def create_limit(
    conn: Connection, values: Mapping[str, Any], now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Create a limit (``name``, ``limit``; ``active``, ``slot_decay_per_second``,
    ``active_slots`` unowned slots taken at once); ``ObjectAlreadyExists`` if the name is
    taken. Return it as ``read_limit`` does."""
    now = _now(now)
    name = _check_name(values.get("name"))
    limit_id = uuid.uuid4()
    row = {
        "id": limit_id,
        "created": now,
        "updated": now,
        "name": name,
        "limit": _check_limit(values.get("limit")),
        "active": bool(values.get("active", True)),
        "denied_slots": _check_limit(values.get("denied_slots") or 0, "denied_slots"),
        "slot_decay_per_second": float(values.get("slot_decay_per_second") or 0.0),
        "avg_slot_occupancy_seconds": 2.0,
    }
    inserted = conn.execute(_filters.insert_ignoring_conflicts(conn, _limit, ["name"]), row)
    if inserted.rowcount == 0:
        raise exceptions.ObjectAlreadyExists(f"A concurrency limit named {name!r} already exists.")
    taken = _check_taken(values.get("active_slots") or 0, "active_slots")
    if taken:
        _insert_slots(conn, [limit_id], taken, uuid.uuid4(), now, UNLEASED_SECONDS, None, None)
    return _as_dict(row, taken)


def read_limit(
    conn: Connection, id_or_name: str | uuid.UUID, now: _dt.datetime | None = None
) -> dict[str, Any] | None:
    """The limit with this id or name, with ``active_slots`` (its live slots), or None."""
    row = _find(conn, id_or_name)
    if row is None:
        return None
    return _as_dict(row, _counts(conn, [row.id], _now(now)).get(row.id, 0))


def read_limits(
    conn: Connection,
    limit: int | None = None,
    offset: int = 0,
    now: _dt.datetime | None = None,
    tags: bool | None = None,
) -> list[dict[str, Any]]:
    """Limits by name, each with ``active_slots``; ``tags`` True: only tag limits, False: none
    of them, None: all."""
    query = sa.select(_limit).order_by(_limit.c.name).offset(offset).limit(limit)
    if tags is not None:
        is_tag = _limit.c.name.startswith(TAG_PREFIX, autoescape=True)
        query = query.where(is_tag if tags else sa.not_(is_tag))
    rows = conn.execute(query).all()
    counts = _counts(conn, [r.id for r in rows], _now(now))
    return [_as_dict(r, counts.get(r.id, 0)) for r in rows]


def update_limit(
    conn: Connection,
    id_or_name: str | uuid.UUID,
    fields: Mapping[str, Any],
    now: _dt.datetime | None = None,
) -> bool:
    """Change a limit's fields; False when there is none. ``active_slots`` frees every slot
    taken (then takes that many unowned ones): a reset."""
    now = _now(now)
    row = _find(conn, id_or_name, lock=True)
    if row is None:
        return False
    changes = {k: v for k, v in fields.items() if k in _LIMIT_FIELDS and v is not None}
    if "name" in changes:
        _check_name(changes["name"])
    for field in ("limit", "denied_slots"):
        if field in changes:
            _check_limit(changes[field], field)
    if changes:
        try:
            with conn.begin_nested():
                conn.execute(
                    _limit.update().where(_limit.c.id == row.id).values(updated=now, **changes)
                )
        except sa.exc.IntegrityError:
            raise exceptions.ObjectAlreadyExists(
                f"A concurrency limit named {changes['name']!r} already exists."
            ) from None
    taken = fields.get("active_slots")
    if taken is not None:
        conn.execute(_slot.delete().where(_slot.c.limit_id == row.id))
        if _check_taken(taken, "active_slots"):
            _insert_slots(conn, [row.id], taken, uuid.uuid4(), now, UNLEASED_SECONDS, None, None)
    return True


def delete_limit(conn: Connection, id_or_name: str | uuid.UUID) -> bool:
    """Delete a limit with its slots; False when there was none."""
    row = _find(conn, id_or_name)
    if row is None:
        return False
    conn.execute(_slot.delete().where(_slot.c.limit_id == row.id))
    conn.execute(_limit.delete().where(_limit.c.id == row.id))
    return True


def read_leases(
    conn: Connection, id_or_name: str | uuid.UUID, now: _dt.datetime | None = None
) -> list[dict[str, Any]] | None:
    """Who holds the limit's live slots: one dict per lease (``lease_id``, ``slots``,
    ``holder_type``, ``holder_id``, ``owner``, ``acquired``, ``expires``), oldest first; None
    when there is no such limit."""
    row = _find(conn, id_or_name)
    if row is None:
        return None
    query = (
        sa.select(_slot)
        .where(_slot.c.limit_id == row.id, _live(_now(now)))
        .order_by(_slot.c.acquired, _slot.c.lease_id)
    )
    leases: dict[uuid.UUID, dict[str, Any]] = {}
    for slot in conn.execute(query):
        lease = leases.get(slot.lease_id)
        if lease is None:
            leases[slot.lease_id] = {
                "lease_id": slot.lease_id,
                "slots": 1,
                "holder_type": slot.holder_type,
                "holder_id": slot.holder_id,
                "owner": slot.owner,
                "acquired": slot.acquired,
                "expires": slot.expires,
            }
        else:
            lease["slots"] += 1
            lease["expires"] = max(lease["expires"], slot.expires)
    return list(leases.values())


# -- taking and giving back slots ----------------------------------------------------------------
def _insert_slots(
    conn: Connection,
    limit_ids: Sequence[uuid.UUID],
    slots: int,
    lease_id: uuid.UUID,
    now: _dt.datetime,
    seconds: float,
    holder: Mapping[str, Any] | None,
    owner: str | None,
    expiries: Mapping[uuid.UUID, list[_dt.datetime]] | None = None,
) -> None:
    expires = now + _dt.timedelta(seconds=seconds)
    holder_type = holder.get("type") if holder else None
    holder_id = holder.get("id") if holder else None
    if holder_id is not None and not isinstance(holder_id, uuid.UUID):
        holder_id = uuid.UUID(str(holder_id))
    rows = [
        {
            "id": uuid.uuid4(),
            "limit_id": limit_id,
            "lease_id": lease_id,
            "acquired": now,
            "expires": expiries[limit_id][i] if expiries else expires,
            "holder_type": holder_type,
            "holder_id": holder_id,
            "owner": owner,
        }
        for limit_id in limit_ids
        for i in range(slots)
    ]
    conn.execute(_INSERT_SLOTS, rows)


def _minimal(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "limit": row.limit}


def _lock_limits(
    conn: Connection, names: Sequence[str], create_limit: int | None, now: _dt.datetime
) -> list[Any]:
    if create_limit is not None:
        _check_limit(create_limit, "create_limit")
        rows = [
            {
                "id": uuid.uuid4(),
                "created": now,
                "updated": now,
                "name": _check_name(name),
                "limit": create_limit,
                "active": True,
                "denied_slots": 0,
                "slot_decay_per_second": 0.0,
                "avg_slot_occupancy_seconds": 2.0,
            }
            for name in names
        ]
        conn.execute(_filters.insert_ignoring_conflicts(conn, _limit, ["name"]), rows)
    return list(conn.execute(_LOCK_LIMITS, {"names": list(names), "now": now}).all())


def acquire(
    conn: Connection,
    request: Mapping[str, Any],
    owner: str | None = None,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Take ``request["slots"]`` slots of each limit in ``request["names"]``, all or none.

    ``request``: the fields of ``ConcurrencySlotsRequest`` (``names``, ``slots``, ``mode``,
    ``lease_duration``, ``holder``, ``create_limit``). The answer: ``lease_id`` (None when
    refused), ``limits`` (those that apply, as ``{"id", "name", "limit"}``), and when refused
    ``retry_after`` (seconds worth waiting before asking again) and ``blocked`` (the limits
    that are full). A refusal counts in the limits' ``denied_slots``. More slots than a limit
    has raise ``ConcurrencySlotAcquisitionError`` (waiting would never help), but a limit of 0
    only refuses: it is how a limit is closed.
    """
    now = _now(now)
    names = sorted(set(request["names"]))
    slots = _check_taken(request.get("slots", 1), "slots")
    mode = request.get("mode") or "concurrency"
    rows = [r for r in _lock_limits(conn, names, request.get("create_limit"), now) if r.active]
    too_small = [r.name for r in rows if 0 < r.limit < slots]
    if too_small:
        raise exceptions.ConcurrencySlotAcquisitionError(
            f"Cannot take {slots} slot(s) of the concurrency limit(s) {', '.join(too_small)}:"
            " more than the limit; raise the limit or ask for fewer slots.",
            names=too_small,
        )
    if mode == "rate_limit":
        no_decay = [r.name for r in rows if r.slot_decay_per_second <= 0]
        if no_decay:
            raise ValueError(
                f"Concurrency limit(s) {', '.join(no_decay)} have no slot_decay_per_second:"
                " only a limit whose slots decay can be used as a rate limit."
            )
    ids = [r.id for r in rows]
    limits = [_minimal(r) for r in rows]
    counts = _counts(conn, ids, now)
    blocked = [r for r in rows if counts.get(r.id, 0) + slots > r.limit]
    if blocked:
        # expired rows are never counted; they are swept here, where the limit is full anyway
        conn.execute(_DELETE_EXPIRED, {"ids": ids, "now": now})
        conn.execute(_DENY, {"ids": [r.id for r in blocked], "slots": slots})
        return {
            "lease_id": None,
            "limits": limits,
            "blocked": [_minimal(r) for r in blocked],
            "retry_after": _retry_after(conn, blocked, now),
        }
    lease_id = uuid.uuid4()
    if ids:
        holder = request.get("holder")
        if holder is not None and hasattr(holder, "model_dump"):
            holder = holder.model_dump()
        if mode == "rate_limit":
            expiries = _decay_schedule(conn, rows, slots, now)
            _insert_slots(
                conn, ids, slots, lease_id, now, 0, {"type": RATE_LIMIT_HOLDER}, owner, expiries
            )
        else:
            seconds = float(request.get("lease_duration") or UNLEASED_SECONDS)
            _insert_slots(conn, ids, slots, lease_id, now, seconds, holder, owner)
    return {"lease_id": lease_id, "limits": limits, "blocked": [], "retry_after": None}


def _decay_schedule(
    conn: Connection, rows: Sequence[Any], slots: int, now: _dt.datetime
) -> dict[uuid.UUID, list[_dt.datetime]]:
    """When each new rate-limit slot frees itself: after the limit's last one, ``1 / decay``
    seconds apart."""
    query = (
        sa.select(_slot.c.limit_id, sa.func.max(_slot.c.expires))
        .where(
            _slot.c.limit_id.in_([r.id for r in rows]),
            _slot.c.holder_type == RATE_LIMIT_HOLDER,
            _live(now),
        )
        .group_by(_slot.c.limit_id)
    )
    last = {limit_id: expires for limit_id, expires in conn.execute(query)}
    schedule = {}
    for row in rows:
        start = max(now, last.get(row.id) or now)
        step = min(1.0 / row.slot_decay_per_second, _LONGEST_DECAY_SECONDS)
        schedule[row.id] = [start + _dt.timedelta(seconds=step * (i + 1)) for i in range(slots)]
    return schedule


def _retry_after(conn: Connection, blocked: Sequence[Any], now: _dt.datetime) -> float:
    """A hint: when the first of the blocking limits' slots runs out, or their usual
    occupancy, whichever comes first (at most ``_MAX_RETRY_AFTER``)."""
    query = sa.select(sa.func.min(_slot.c.expires)).where(
        _slot.c.limit_id.in_([r.id for r in blocked]), _live(now)
    )
    first_free = conn.execute(query).scalar()
    hints = [max(r.avg_slot_occupancy_seconds, 0.05) for r in blocked if r.limit > 0]
    if first_free is not None:
        hints.append((first_free - now).total_seconds())
    return min([_MAX_RETRY_AFTER, *hints])


def _record_occupancy(conn: Connection, rows: Sequence[Any], now: _dt.datetime) -> None:
    """Fold how long the freed slots were held into their limits' average occupancy (a running
    average, the newest weighing a fifth)."""
    held: dict[uuid.UUID, float] = {}
    for limit_id, acquired in rows:
        held.setdefault(limit_id, max((now - acquired).total_seconds(), 0.0))
    for limit_id, seconds in held.items():
        conn.execute(_RECORD_OCCUPANCY, {"limit_id": limit_id, "held": seconds})


def release_lease(conn: Connection, lease_id: uuid.UUID, now: _dt.datetime | None = None) -> bool:
    """Give back every slot of a lease; False when it holds none (given back, or expired and
    taken by others since)."""
    now = _now(now)
    rows = conn.execute(_RELEASE, {"lease_id": lease_id}).all()
    if not rows:
        return False
    _record_occupancy(conn, [tuple(r) for r in rows], now)
    return True


def renew_lease(
    conn: Connection,
    lease_id: uuid.UUID,
    lease_duration: float,
    now: _dt.datetime | None = None,
) -> bool:
    """Keep a lease's slots ``lease_duration`` seconds more from now; False when it has
    expired (its slots may be someone else's by now: it is not brought back) or is gone."""
    now = _now(now)
    expires = now + _dt.timedelta(seconds=lease_duration)
    renewed = conn.execute(_RENEW, {"renewed_lease": lease_id, "now": now, "new_expires": expires})
    if renewed.rowcount:
        return True
    conn.execute(_slot.delete().where(_slot.c.lease_id == lease_id))
    return False


def release_slots(
    conn: Connection,
    names: Sequence[str],
    slots: int,
    occupancy_seconds: float | None = None,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Give back ``slots`` slots of each limit in ``names`` taken without a lease (Prefect's
    ``/decrement``): the oldest unowned ones first. Return the limits concerned."""
    now = _now(now)
    rows = conn.execute(
        sa.select(_limit).where(_limit.c.name.in_(list(names))).order_by(_limit.c.name)
    ).all()
    for row in rows:
        ids = (
            sa.select(_slot.c.id)
            .where(_slot.c.limit_id == row.id, _live(now))
            .order_by(_slot.c.holder_type.is_not(None), _slot.c.acquired)
            .limit(slots)
        )
        victims = list(conn.execute(ids).scalars())
        conn.execute(_slot.delete().where(_slot.c.id.in_(victims)))
        if occupancy_seconds is not None and victims:
            earlier = now - _dt.timedelta(seconds=occupancy_seconds)
            _record_occupancy(conn, [(row.id, earlier)], now)
    return [_minimal(r) for r in rows]


# -- tag limits (Prefect's v1 API) ---------------------------------------------------------------
def _tag_dict(conn: Connection, row: Any, now: _dt.datetime) -> dict[str, Any]:
    holders = conn.execute(
        sa.select(_slot.c.holder_id, _slot.c.id)
        .where(_slot.c.limit_id == row.id, _live(now))
        .order_by(_slot.c.acquired)
    ).all()
    return {
        "id": row.id,
        "created": row.created,
        "updated": row.updated,
        "tag": row.name.removeprefix(TAG_PREFIX),
        "concurrency_limit": row.limit,
        "active_slots": [holder_id or slot_id for holder_id, slot_id in holders],
    }


def _tag_row(conn: Connection, tag_or_id: str | uuid.UUID) -> Any:
    if isinstance(tag_or_id, uuid.UUID):
        row = conn.execute(sa.select(_limit).where(_limit.c.id == tag_or_id)).first()
        return row if row is not None and row.name.startswith(TAG_PREFIX) else None
    query = sa.select(_limit).where(_limit.c.name == tag_limit_name(tag_or_id))
    return conn.execute(query).first()


def create_tag_limit(
    conn: Connection, tag: str, concurrency_limit: int, now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Create the limit of a tag, or change the limit of an existing one (Prefect's upsert)."""
    now = _now(now)
    _check_limit(concurrency_limit, "concurrency_limit")
    name = tag_limit_name(tag)
    if not update_limit(conn, name, {"limit": concurrency_limit}, now):
        create_limit(conn, {"name": name, "limit": concurrency_limit}, now)
    return read_tag_limit(conn, tag, now)  # type: ignore[return-value]


def read_tag_limit(
    conn: Connection, tag_or_id: str | uuid.UUID, now: _dt.datetime | None = None
) -> dict[str, Any] | None:
    """The tag limit of a tag (or with an id), ``active_slots`` its holders' ids; or None."""
    row = _tag_row(conn, tag_or_id)
    return None if row is None else _tag_dict(conn, row, _now(now))


def read_tag_limits(
    conn: Connection, limit: int | None = None, offset: int = 0, now: _dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Tag limits by tag."""
    now = _now(now)
    query = (
        sa.select(_limit)
        .where(_limit.c.name.startswith(TAG_PREFIX, autoescape=True))
        .order_by(_limit.c.name)
        .offset(offset)
        .limit(limit)
    )
    return [_tag_dict(conn, row, now) for row in conn.execute(query).all()]


def delete_tag_limit(conn: Connection, tag_or_id: str | uuid.UUID) -> bool:
    """Delete a tag limit with its slots; False when there was none."""
    row = _tag_row(conn, tag_or_id)
    return row is not None and delete_limit(conn, row.id)


def reset_tag_limit(
    conn: Connection,
    tag: str,
    slot_override: Sequence[uuid.UUID] | None = None,
    now: _dt.datetime | None = None,
) -> bool:
    """Free every slot of a tag limit (then give one to each task run of ``slot_override``);
    False when the tag has no limit."""
    now = _now(now)
    row = _tag_row(conn, tag)
    if row is None:
        return False
    conn.execute(_slot.delete().where(_slot.c.limit_id == row.id))
    for task_run_id in slot_override or ():
        holder = {"type": "task_run", "id": task_run_id}
        _insert_slots(conn, [row.id], 1, uuid.uuid4(), now, UNLEASED_SECONDS, holder, None)
    return True


def take_tag_slots(
    conn: Connection,
    tags: Sequence[str],
    task_run_id: uuid.UUID,
    lease_duration: float = UNLEASED_SECONDS,
    owner: str | None = None,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """A task run takes a slot of the limit of each of its tags (``acquire``'s answer)."""
    request = {
        "names": [tag_limit_name(t) for t in tags],
        "slots": 1,
        "lease_duration": lease_duration,
        "holder": {"type": "task_run", "id": task_run_id},
    }
    return acquire(conn, request, owner, now)


def release_tag_slots(
    conn: Connection,
    tags: Sequence[str],
    task_run_id: uuid.UUID,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """A task run gives back its slots of its tags' limits; return those limits."""
    now = _now(now)
    rows = conn.execute(
        sa.select(_limit).where(_limit.c.name.in_([tag_limit_name(t) for t in tags]))
    ).all()
    if rows:
        where = [_slot.c.limit_id.in_([r.id for r in rows]), _slot.c.holder_id == task_run_id]
        held = conn.execute(sa.select(_slot.c.limit_id, _slot.c.acquired).where(*where)).all()
        conn.execute(_slot.delete().where(*where))
        _record_occupancy(conn, [tuple(r) for r in held], now)
    return [_minimal(r) for r in rows]
