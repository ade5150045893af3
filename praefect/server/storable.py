"""``StorableInput``: a request carrying a value no database stores alike is answered 422, naming
where it is, before any route runs.

The values are those of ``praefect.schemas.storable`` (the NUL character, lone surrogates, NaN
and Infinity), in a JSON body, in the path or in the query string. SQLite stores most of them and
PostgreSQL refuses them with an error of its own; refused here, a request gets the same answer on
both, whichever route (or fast path) would have taken it. A body is first scanned as bytes, so a
request without any of them costs a few substring searches.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from praefect.schemas import storable
from praefect.server import errors

__all__ = ["StorableInput"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _error(loc: tuple[Any, ...], msg: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": loc, "msg": msg, "input": None}


def _url_problems(scope: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    reason = storable.text_problem(scope["path"])
    if reason is not None:
        found.append(_error(("path",), reason))
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
            reason = storable.text_problem(name) or storable.text_problem(value)
            if reason is not None:
                found.append(_error(("query", name), reason))
    return found


def _body_problems(body: bytes, content_type: bytes) -> list[dict[str, Any]]:
    if content_type and b"json" not in content_type:
        return []  # another kind of body (a form, a file): the route knows what it takes
    if not storable.suspect(body):
        return []
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON: the route's own parsing answers
    return storable.problems(value, ("body",))


class StorableInput:
    """ASGI middleware: answers 422 (``errors.invalid_request``) a request whose path, query or
    body holds a value of ``praefect.schemas.storable.problems``; passes any other through,
    with its body (read here, then handed to the app in one piece)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = _url_problems(scope)
        if found:
            await errors.invalid_request(found)(scope, receive, send)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            try:
                message = await receive()
            except HTTPException as refused:  # a limit of an outer layer (BodySizeLimit)
                answer = JSONResponse({"detail": refused.detail}, status_code=refused.status_code)
                await answer(scope, receive, send)
                return
            if message["type"] != "http.request":
                # the client left: the app sees the same
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        found = _body_problems(body, content_type.lower())
        if found:
            await errors.invalid_request(found)(scope, receive, send)
            return
        first = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([first], receive), send)


def _replay(messages: list[dict[str, Any]], receive: Any) -> Any:
    async def replayed() -> dict[str, Any]:
        return messages.pop(0) if messages else await receive()

    return replayed
