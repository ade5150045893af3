"""What every route needs: the database engine and the shared body parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Body, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.engine import Engine

from praefect import database
from praefect.schemas.objects import PaginationResponse

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "EngineDep",
    "LimitBody",
    "OffsetBody",
    "engine",
    "json_list_response",
    "json_response",
    "page",
    "paginated",
    "validate_json",
]

DEFAULT_LIMIT = 200
"""Rows a filter returns when no ``limit`` is given (Prefect's default)."""
MAX_LIMIT = 1000
"""The largest ``limit`` a filter accepts; page with ``offset`` beyond it."""


async def engine(request: Request) -> Engine:
    """The engine of the app's database (opened and migrated on first use). A coroutine, so
    FastAPI calls it on the event loop: as a plain function it would cost every request a trip
    through the thread pool before the route's own."""
    return database.get_engine(request.app.state.database_url)


EngineDep = Annotated[Engine, Depends(engine)]

Q = TypeVar("Q", bound=BaseModel)
M = TypeVar("M", bound=BaseModel)
_LIMIT = TypeAdapter(Annotated[int, Field(ge=0, le=MAX_LIMIT)])


def page(query: Q) -> Q:
    """A query body (``praefect.schemas.queries``) as the API serves it: a ``limit`` of None is
    ``DEFAULT_LIMIT``, and one over ``MAX_LIMIT`` is refused (422 on ``body.limit``) so no
    request reads the whole table; in-process readers have no such page."""
    limit = getattr(query, "limit", None)
    if limit is None:
        return query.model_copy(update={"limit": DEFAULT_LIMIT})
    try:
        _LIMIT.validate_python(limit)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for error in errors:
            error["loc"] = ("body", "limit")
        raise RequestValidationError(errors) from None
    return query


LimitBody = Annotated[int, Body(ge=0, le=MAX_LIMIT, description="At most this many rows.")]
OffsetBody = Annotated[int, Body(ge=0, le=2**31 - 1, description="Skip this many rows first.")]


# Routes return their JSON already serialized, with the model the route declares as its
# ``response_model`` (which keeps the OpenAPI schema): FastAPI would otherwise dump the model to
# a dict, validate that dict again against the same model and only then serialize it.


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON body of a response."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def validate_json(adapter: TypeAdapter[Any], body: bytes) -> Any:
    """A request body validated by ``adapter`` straight from its JSON text (FastAPI would parse
    it to Python objects first, then validate those): the same 422 errors, located under
    ``body`` as FastAPI locates them."""
    try:
        return adapter.validate_json(body or b"null")
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for error in errors:
            error["loc"] = ("body", *error["loc"])
        raise RequestValidationError(errors) from None


def json_list_response(model: Any, rows: Iterable[Any]) -> Response:
    """The service-layer ``rows`` as a JSON list of ``model`` (built with ``model.from_row``)."""
    items = [model.from_row(row) for row in rows]
    body = _list_adapter(model).dump_json(items)
    return Response(body, media_type="application/json")


def paginated(
    engine: Engine,
    query: Any,
    read: Callable[[Any, Any], list[Any]],
    count: Callable[[Any, Any], int],
    to_model: Callable[[Any], M],
) -> PaginationResponse[M]:
    """Page ``query.page`` of the rows ``read`` gives (each made a model by ``to_model``), with
    how many ``count`` finds, as Prefect's ``POST .../paginate`` answers them; both read in one
    transaction."""
    query = page(query)
    query = query.model_copy(update={"offset": (query.page - 1) * query.limit})

    def both(conn: Any) -> tuple[list[Any], int]:
        return read(conn, query), count(conn, query)

    rows, total = database.read(engine, both)
    return PaginationResponse[M](
        results=[to_model(row) for row in rows],
        count=total,
        limit=query.limit,
        pages=-(-total // query.limit) if query.limit else 0,
        page=query.page,
    )
