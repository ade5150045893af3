"""Reading a request's body in ASGI middleware without taking it from the route behind."""

from __future__ import annotations

from starlette.types import Message, Receive

__all__ = ["read_body"]


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, Receive]:
    """The request's body (reading stops once it is longer than ``limit`` bytes), and a
    ``receive`` for the route that replays the messages read before passing on to the rest."""
    messages: list[Message] = []
    body = b""
    while limit is None or len(body) <= limit:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    replay = iter(messages)

    async def replaying() -> Message:
        message = next(replay, None)
        return message if message is not None else await receive()

    return body, replaying
