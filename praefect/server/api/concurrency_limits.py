"""``/api/v2/concurrency_limits`` (global limits, their slots and leases) and
``/api/concurrency_limits`` (tag limits): Prefect 3's paths and bodies.

Slots that cannot be taken now are answered ``423 Locked`` with a ``Retry-After`` header (and,
beyond Prefect, the full limits under ``blocked``); more slots than a limit has, 422.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import JSONResponse

from praefect import database, exceptions, orchestration
from praefect.schemas import concurrency as schemas
from praefect.server.api._deps import DEFAULT_LIMIT, MAX_LIMIT, EngineDep, OffsetBody

__all__ = ["global_limits", "router", "tag_limits"]

global_limits = APIRouter(prefix="/v2/concurrency_limits", tags=["Concurrency Limits V2"])
tag_limits = APIRouter(prefix="/concurrency_limits", tags=["Concurrency Limits"])
router = APIRouter()
router.include_router(global_limits)
router.include_router(tag_limits)

_c = orchestration.concurrency
# "limit": null is the default page, as on the other filter routes
_PageBody = Annotated[int | None, Body(ge=0, le=MAX_LIMIT, description="At most this many.")]


def _missing(what: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Concurrency limit {what!r} not found.")


def _owner(request: Request, given: str | None) -> str | None:
    if given:
        return given
    client = request.client
    return f"{client.host}:{client.port}" if client else None


def _locked(answer: dict[str, Any], detail: str | None = None) -> JSONResponse:
    blocked = answer["blocked"]
    closed = [b["name"] for b in blocked if b["limit"] == 0]
    headers = {}
    if detail is None and closed:
        detail = (
            f"The concurrency limit(s) {', '.join(closed)} are 0: nothing can take a slot until"
            " the limit is raised."
        )
    if not closed:
        headers["Retry-After"] = f"{max(answer['retry_after'] or 0.0, 0.0):.3f}"
    body = {
        "detail": detail or "Concurrency slots are not available now; try again later.",
        "blocked": [{**b, "id": str(b["id"])} for b in blocked],
    }
    return JSONResponse(body, status_code=status.HTTP_423_LOCKED, headers=headers)


# -- global limits -------------------------------------------------------------------------------
@global_limits.post("/", status_code=status.HTTP_201_CREATED)
def create_concurrency_limit_v2(
    concurrency_limit: schemas.GlobalConcurrencyLimitCreate, engine: EngineDep
) -> schemas.GlobalConcurrencyLimitResponse:
    """Create a global limit (409 when the name is taken)."""
    values = concurrency_limit.model_dump()
    row = database.write(engine, lambda c: _c.create_limit(c, values))
    return schemas.GlobalConcurrencyLimitResponse.model_validate(row)


@global_limits.get("/{id_or_name}")
def read_concurrency_limit_v2(
    id_or_name: str, engine: EngineDep
) -> schemas.GlobalConcurrencyLimitResponse:
    row = database.read(engine, lambda c: _c.read_limit(c, id_or_name))
    if row is None:
        raise _missing(id_or_name)
    return schemas.GlobalConcurrencyLimitResponse.model_validate(row)


@global_limits.get("/{id_or_name}/leases")
def read_concurrency_leases(id_or_name: str, engine: EngineDep) -> list[dict[str, Any]]:
    """praefect only: who holds the limit's slots, one item per lease, oldest first."""
    rows = database.read(engine, lambda c: _c.read_leases(c, id_or_name))
    if rows is None:
        raise _missing(id_or_name)
    return rows


@global_limits.post("/filter")
def read_all_concurrency_limits_v2(
    engine: EngineDep, limit: _PageBody = None, offset: OffsetBody = 0
) -> list[schemas.GlobalConcurrencyLimitResponse]:
    size = DEFAULT_LIMIT if limit is None else limit
    rows = database.read(engine, lambda c: _c.read_limits(c, size, offset))
    return [schemas.GlobalConcurrencyLimitResponse.model_validate(row) for row in rows]


@global_limits.patch("/{id_or_name}", status_code=status.HTTP_204_NO_CONTENT)
def update_concurrency_limit_v2(
    id_or_name: str, concurrency_limit: schemas.GlobalConcurrencyLimitUpdate, engine: EngineDep
) -> None:
    fields = concurrency_limit.model_dump(exclude_unset=True)
    if not database.write(engine, lambda c: _c.update_limit(c, id_or_name, fields)):
        raise _missing(id_or_name)


@global_limits.delete("/{id_or_name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_concurrency_limit_v2(id_or_name: str, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _c.delete_limit(c, id_or_name)):
        raise _missing(id_or_name)


@global_limits.post("/increment-with-lease")
def bulk_increment_active_slots_with_lease(
    body: schemas.ConcurrencySlotsRequest, request: Request, engine: EngineDep
) -> schemas.ConcurrencyLimitWithLeaseResponse:
    """Take slots of every named limit, all or none, held by a lease that expires after
    ``lease_duration`` seconds unless renewed (423 when they are not free now)."""
    values = body.model_dump()
    owner = _owner(request, body.owner)
    answer = database.write(engine, lambda c: _c.acquire(c, values, owner))
    if answer["lease_id"] is None:
        return _locked(answer)  # type: ignore[return-value]
    return schemas.ConcurrencyLimitWithLeaseResponse.model_validate(answer)


@global_limits.post("/increment")
def bulk_increment_active_slots(
    body: schemas.ConcurrencySlotsRequest, request: Request, engine: EngineDep
) -> list[schemas.MinimalConcurrencyLimitResponse]:
    """Take slots without a lease: they stay taken until ``/decrement`` (or for
    ``UNLEASED_SECONDS``); in ``rate_limit`` mode they decay by themselves."""
    values = {**body.model_dump(), "lease_duration": _c.UNLEASED_SECONDS}
    owner = _owner(request, body.owner)
    answer = database.write(engine, lambda c: _c.acquire(c, values, owner))
    if answer["lease_id"] is None:
        return _locked(answer)  # type: ignore[return-value]
    return [schemas.MinimalConcurrencyLimitResponse.model_validate(x) for x in answer["limits"]]


@global_limits.post("/decrement")
def bulk_decrement_active_slots(
    body: schemas.ConcurrencySlotsRelease, engine: EngineDep
) -> list[schemas.MinimalConcurrencyLimitResponse]:
    rows = database.write(
        engine,
        lambda c: _c.release_slots(c, body.names, body.slots, body.occupancy_seconds),
    )
    return [schemas.MinimalConcurrencyLimitResponse.model_validate(row) for row in rows]


@global_limits.post("/decrement-with-lease", status_code=status.HTTP_204_NO_CONTENT)
def bulk_decrement_active_slots_with_lease(
    lease_id: Annotated[uuid.UUID, Body(embed=True)], engine: EngineDep
) -> None:
    """Give back every slot of a lease (a lease already gone is no error)."""
    database.write(engine, lambda c: _c.release_lease(c, lease_id))


@global_limits.post("/leases/{lease_id}/renew", status_code=status.HTTP_204_NO_CONTENT)
def renew_concurrency_lease(
    lease_id: uuid.UUID,
    engine: EngineDep,
    lease_duration: Annotated[schemas.LeaseSeconds, Body(embed=True)] = 300.0,
) -> Response:
    """Keep a lease's slots ``lease_duration`` seconds more; 410 when it has expired."""
    if not database.write(engine, lambda c: _c.renew_lease(c, lease_id, lease_duration)):
        detail = f"Lease {lease_id} not found: it expired or was released."
        return JSONResponse({"detail": detail}, status_code=status.HTTP_410_GONE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- tag limits ----------------------------------------------------------------------------------
@tag_limits.post("/")
def create_concurrency_limit(
    concurrency_limit: schemas.ConcurrencyLimitCreate, engine: EngineDep
) -> schemas.ConcurrencyLimit:
    """Create the limit of a tag, or change its size (Prefect's upsert)."""
    tag, size = concurrency_limit.tag, concurrency_limit.concurrency_limit
    row = database.write(engine, lambda c: _c.create_tag_limit(c, tag, size))
    return schemas.ConcurrencyLimit.model_validate(row)


@tag_limits.get("/{id}")
def read_concurrency_limit(id: uuid.UUID, engine: EngineDep) -> schemas.ConcurrencyLimit:
    row = database.read(engine, lambda c: _c.read_tag_limit(c, id))
    if row is None:
        raise _missing(str(id))
    return schemas.ConcurrencyLimit.model_validate(row)


@tag_limits.get("/tag/{tag}")
def read_concurrency_limit_by_tag(tag: str, engine: EngineDep) -> schemas.ConcurrencyLimit:
    row = database.read(engine, lambda c: _c.read_tag_limit(c, tag))
    if row is None:
        raise _missing(tag)
    return schemas.ConcurrencyLimit.model_validate(row)


@tag_limits.post("/filter")
def read_concurrency_limits(
    engine: EngineDep, limit: _PageBody = None, offset: OffsetBody = 0
) -> list[schemas.ConcurrencyLimit]:
    size = DEFAULT_LIMIT if limit is None else limit
    rows = database.read(engine, lambda c: _c.read_tag_limits(c, size, offset))
    return [schemas.ConcurrencyLimit.model_validate(row) for row in rows]


@tag_limits.post("/tag/{tag}/reset")
def reset_concurrency_limit_by_tag(
    tag: str,
    engine: EngineDep,
    slot_override: Annotated[list[uuid.UUID] | None, Body(embed=True)] = None,
) -> None:
    """Free every slot of the tag's limit (then give one to each run of ``slot_override``)."""
    if not database.write(engine, lambda c: _c.reset_tag_limit(c, tag, slot_override)):
        raise _missing(tag)


@tag_limits.delete("/{id}")
def delete_concurrency_limit(id: uuid.UUID, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _c.delete_tag_limit(c, id)):
        raise _missing(str(id))


@tag_limits.delete("/tag/{tag}")
def delete_concurrency_limit_by_tag(tag: str, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _c.delete_tag_limit(c, tag)):
        raise _missing(tag)


@tag_limits.post("/increment")
def increment_concurrency_limits_v1(
    body: schemas.TagSlotsRequest, request: Request, engine: EngineDep
) -> list[schemas.MinimalConcurrencyLimitResponse]:
    """A task run takes a slot of the limit of each of its tags (423 when one is full)."""
    owner = _owner(request, None)
    answer = database.write(
        engine, lambda c: _c.take_tag_slots(c, body.names, body.task_run_id, owner=owner)
    )
    if answer["lease_id"] is None:
        return _locked(answer)  # type: ignore[return-value]
    return [schemas.MinimalConcurrencyLimitResponse.model_validate(x) for x in answer["limits"]]


@tag_limits.post("/decrement")
def decrement_concurrency_limits_v1(
    body: schemas.TagSlotsRelease, engine: EngineDep
) -> list[schemas.MinimalConcurrencyLimitResponse]:
    rows = database.write(engine, lambda c: _c.release_tag_slots(c, body.names, body.task_run_id))
    return [schemas.MinimalConcurrencyLimitResponse.model_validate(row) for row in rows]
