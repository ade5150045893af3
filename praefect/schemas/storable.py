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
# (a raw control character or surrogate is not valid JSON), the two words are literal, and a
# number overflows only with an exponent of three digits or more. False alarms (the same text
# inside a string, an escaped backslash) only cost a closer look.
_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_BIG_EXPONENT = re.compile(rb"[eE]\+?[0-9]{3,}[\s,\]}]|[eE]\+?[0-9]{3,}$")
_EXPONENT_SCAN_BYTES = 64 * 1024
"""Larger bodies (the batch routes') are not scanned for big exponents: the scan costs about as
much as parsing, and their typed numbers refuse infinity by themselves."""

_NUL = "text must not contain the NUL character (\\u0000): no database stores it alike"
_SURROGATE = "text must be valid Unicode: a lone surrogate (\\ud800-\\udfff) is no character"
_NOT_FINITE = "NaN and Infinity are not numbers JSON can carry: send null or a string instead"


def suspect(body: bytes) -> bool:
    """Whether the JSON text ``body`` may hold a value ``problems`` refuses (a quick scan of
    the bytes; False means it holds none, except a number that overflows to infinity in a body
    over ``_EXPONENT_SCAN_BYTES``)."""
    if b"NaN" in body or b"Infinity" in body or _ESCAPES.search(body) is not None:
        return True
    return len(body) <= _EXPONENT_SCAN_BYTES and _BIG_EXPONENT.search(body) is not None


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
