"""What both databases store alike, and how to find what they would not.

JSON lets a request carry values that SQLite keeps but PostgreSQL refuses, or that no database
keeps as sent: the NUL character (``\\u0000``, in text or in a key), a lone UTF-16 surrogate
(``\\ud800``, which is no character at all), and the numbers ``NaN``, ``Infinity`` and
``-Infinity`` (not JSON, though Python's parser takes them, and ``1e400`` becomes ``Infinity``
when read). ``problems`` finds each of them in a parsed JSON value and says where it is, in the
form of pydantic's validation errors, so a request carrying one is answered with a 422 naming the
field, on every database.

>>> problems({"name": "a\\x00b", "parameters": {"x": [1.0, float("nan")]}}, ("body",))[0]["loc"]
('body', 'name')
>>> [e["msg"] for e in problems({"x": [1.0, float("nan")]})]
['NaN and Infinity are not numbers JSON can carry: send null or a string instead']
>>> suspect(b'{"name": "etl", "parameters": {"x": 1.5}}')
False
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["MAX_PROBLEMS", "problems", "suspect", "text_problem"]

MAX_PROBLEMS = 10
"""``problems`` stops after this many."""

# The JSON text that can hold one of the values above: NUL and surrogates are always escaped
# (a raw control character or surrogate is not valid JSON) and the two words are literal.
# False alarms (the same text inside a string, an escaped backslash) only cost a closer look.
_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _shape_table() -> bytes:
    table = bytearray(b"x" * 256)
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b"eE+":
        table[byte] = ord("e")
    for byte in b",]} \t\r\n":
        table[byte] = ord(",")
    return bytes(table)


# A number overflows to infinity only with an exponent of three digits or more (its digits end
# the number: a delimiter or the end follows), or with an integer part of 210 digits or more
# (at most 99 from the exponent): in a body's shape (``bytes.translate``, a few milliseconds
# for megabytes), where each digit is 0, each e, E or plus is e, each delimiter a comma and
# anything else x, that is "e000" then zeros up to a comma or the end, or a long run of zeros.
# A UUID in a string never matches: a quote or a hex letter, not a delimiter, follows it.
_SHAPE = _shape_table()
_BIG_EXPONENT = re.compile(rb"e000+(?:,|\Z)")
_LONG_NUMBER = b"0" * 100
_NUL = "text must not contain the NUL character (\\u0000): no database stores it alike"
_SURROGATE = "text must be valid Unicode: a lone surrogate (\\ud800-\\udfff) is no character"
_NOT_FINITE = "NaN and Infinity are not numbers JSON can carry: send null or a string instead"


def suspect(body: bytes) -> bool:
    """Whether the JSON text ``body`` may hold a value ``problems`` refuses (a quick scan of
    the bytes, whatever their length; False means it holds none).

    >>> suspect(b'[1e400]'), suspect(b'[1E+30, 1e-400]'), suspect(b'{"x": 1' + b'0' * 400 + b'.5}')
    (True, False, True)
    """
    if b"NaN" in body or b"Infinity" in body:
        return True
    if b"\\u" in body and _ESCAPES.search(body) is not None:
        return True
    shape = body.translate(_SHAPE)
    return _LONG_NUMBER in shape or _BIG_EXPONENT.search(shape) is not None


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored alike by every database, or None.

    >>> text_problem("etl"), text_problem("a\\x00")[:39]
    (None, 'text must not contain the NUL character')
    """
    if "\x00" in text:
        return _NUL
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _SURROGATE
    return None


def _error(loc: tuple[Any, ...], msg: str, value: Any) -> dict[str, Any]:
    return {"type": "value_error", "loc": loc, "msg": msg, "input": value}


def problems(value: Any, loc: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The values in the parsed JSON ``value`` that a database would refuse or change, as
    pydantic's error dicts (``type``, ``loc`` under ``loc``, ``msg``, ``input``); at most
    ``MAX_PROBLEMS``, first found first. A bad key is located at its mapping."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [(loc, value)]
    while stack and len(found) < MAX_PROBLEMS:
        where, item = stack.pop()
        kind = item.__class__
        if kind is str:
            reason = text_problem(item)
            if reason is not None:
                found.append(_error(where, reason, item))
        elif kind is float:
            if not math.isfinite(item):
                found.append(_error(where, _NOT_FINITE, item))
        elif kind is dict:
            for key in item:
                reason = text_problem(key)
                if reason is not None:
                    found.append(_error(where, f"a key: {reason}", key))
            # reversed, so the first field is looked at first
            stack.extend((where + (key,), inner) for key, inner in reversed(item.items()))
        elif kind is list:
            stack.extend(
                (where + (index,), inner) for index, inner in reversed(list(enumerate(item)))
            )
    return found[:MAX_PROBLEMS]
