"""Domain errors mapped to HTTP answers: a missing record is 404, bad input is 422 naming the
field, a conflict is 409, a database that cannot be reached is 503 with ``Retry-After`` (nothing
was written: the client sends the request again). Bad input never gives a 500.

Any other exception is answered by ``ServerErrors``: a 500 with a JSON body, its traceback in the
server's log, and the connection kept open for the client's next request.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praefect import database, exceptions

__all__ = ["ServerErrors", "install", "invalid_request", "validation_message"]

_log = logging.getLogger("praefect.server")


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


def _writable(part: Any) -> Any:
    # a key in a location may be a lone surrogate, which no UTF-8 answer can carry
    if isinstance(part, str) and not part.isascii():
        return part.encode("utf-8", "backslashreplace").decode("utf-8")
    return part


def invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    """The 422 answer for pydantic's validation ``errors``: each error's location, message and
    type, and one line naming them all (``validation_message``)."""
    errors = [{**e, "loc": tuple(_writable(part) for part in e.get("loc", ()))} for e in errors]
    detail = [
        {"loc": list(e["loc"]), "msg": _writable(str(e.get("msg", ""))), "type": e.get("type", "")}
        for e in errors
    ]
    return JSONResponse(
        {"detail": detail, "exception_message": validation_message(errors)}, status_code=422
    )


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return invalid_request(list(exc.errors()))


async def _not_found(request: Request, exc: exceptions.ObjectNotFound) -> JSONResponse:
    return JSONResponse({"detail": str(exc) or "Not found."}, status_code=404)


async def _already_exists(request: Request, exc: exceptions.ObjectAlreadyExists) -> JSONResponse:
    return JSONResponse({"detail": str(exc) or "Already exists."}, status_code=409)


async def _not_paused(request: Request, exc: exceptions.NotPausedError) -> JSONResponse:
    state = exc.state
    body = {"detail": str(exc), "state": state.to_record() if state is not None else None}
    return JSONResponse(jsonable_encoder(body), status_code=409)


async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
    # Input that breaks a database constraint (a duplicate id): the client's mistake, not ours.
    return JSONResponse(
        {"detail": "Conflict: a record with the same identity already exists."}, status_code=409
    )


async def _refused_value(request: Request, exc: DataError) -> JSONResponse:
    # A value the database refused (SQLSTATE class 22: out of range, bad text, ...) that
    # StorableInput and the schemas let through: still the client's input, never an outage.
    problem = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return JSONResponse(
        {"detail": f"The database refused a value of this request: {problem}"}, status_code=422
    )


async def _invalid_value(request: Request, exc: ValueError) -> JSONResponse:
    # The service layer raises ValueError for a request it cannot honour (e.g. an unknown field).
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _slots_refused(
    request: Request, exc: exceptions.ConcurrencySlotAcquisitionError
) -> JSONResponse:
    # more slots than a limit has: asking again would never help (Prefect answers 422 too)
    return JSONResponse({"detail": str(exc), "names": exc.names}, status_code=422)


class ServerErrors:
    """ASGI middleware: an exception that no handler maps to an answer gets a 500 with a JSON
    body, and is logged with its traceback; the connection stays open.

    Starlette's own 500 (``ServerErrorMiddleware``, the outermost layer) answers and then raises
    the exception again, for the server to log; uvicorn closes a connection whose app raised, so
    every 500 cost the client its keep-alive connection (and a pooled client a reconnect). This
    layer sits inside the other middleware, just outside the handlers ``install`` registers: an
    exception one of them maps (404, 409, 422, 503, ...) never reaches it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            if started:
                raise  # half a response is out: only closing the connection can end it
            _log.exception("Server error on %s %s", scope.get("method"), scope.get("path"))
            body = {"detail": "Internal server error; the server's log has the traceback."}
            await JSONResponse(body, status_code=500)(scope, receive, send)


async def _database_unavailable(
    request: Request, exc: exceptions.DatabaseUnavailable
) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc)},
        status_code=503,
        headers={"Retry-After": str(max(1, round(exc.retry_after)))},
    )


async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    # a route that reached the engine without database.read/write: the same 503 for an outage
    if database.is_unavailable(exc):
        return await _database_unavailable(request, exceptions.DatabaseUnavailable(str(exc.orig)))
    raise exc


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``, and ``ServerErrors`` inside the middleware added after
    this call."""
    app.add_middleware(ServerErrors)
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.ObjectNotFound, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.ObjectAlreadyExists, _already_exists)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.NotPausedError, _not_paused)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _conflict)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _invalid_value)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.ConcurrencySlotAcquisitionError, _slots_refused)  # type: ignore[arg-type]
    app.add_exception_handler(exceptions.DatabaseUnavailable, _database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _refused_value)  # type: ignore[arg-type]
