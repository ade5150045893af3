"""Domain errors mapped to HTTP answers: a missing record is 404, bad input is 422 naming the
field, a conflict is 409. Bad input never gives a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.responses import JSONResponse

from praefect import exceptions

__all__ = ["install", "validation_message"]


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One line naming each invalid field and what is wrong with it.

    >>> validation_message([{"loc": ("body", "state", "type"), "msg": "Field required"}])
    'Invalid request: body.state.type: Field required.'
    """
    parts = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:10]]
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return "Invalid request: " + "; ".join(parts) + more + "."


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    detail = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]
    return JSONResponse(
        {"detail": detail, "exception_message": validation_message(errors)}, status_code=422
    )


async def _not_found(request: Request, exc: exceptions.ObjectNotFound) -> JSONResponse:
    return JSONResponse({"detail": str(exc) or "Not found."}, status_code=404)


async def _already_exists(request: Request, exc: exceptions.ObjectAlreadyExists) -> JSONResponse:
    return JSONResponse({"detail": str(exc) or "Already exists."}, status_code=409)


async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
    # Input that breaks a database constraint (a duplicate id): the client's mistake, not ours.
    return JSONResponse(
        {"detail": "Conflict: a record with the same identity already exists."}, status_code=409
    )


async def _invalid_value(request: Request, exc: ValueError) -> JSONResponse:
    # The service layer raises ValueError for a request it cannot honour (e.g. an unknown field).
    return JSONResponse({"detail": str(exc)}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.ObjectNotFound, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.ObjectAlreadyExists, _already_exists)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _conflict)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _invalid_value)  # type: ignore[arg-type]
