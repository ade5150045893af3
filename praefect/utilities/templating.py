"""``{{ prefect.variables.<name> }}`` placeholders in deployment configuration and job variables,
filled in with the variables' values (as Prefect's ``resolve_variables``).

A string that is only the placeholder becomes the variable's value, whatever its JSON type; a
placeholder inside a longer string is replaced by the value's text. A variable that does not
exist gives an empty string. Placeholders of other kinds (``{{ step.output }}``, job variables)
are left alone.

>>> values = {"region": "eu-west-1", "limits": {"cpu": 2}}
>>> resolve_variables(
...     {"image": "app:{{ prefect.variables.region }}", "limits": "{{ prefect.variables.limits }}"},
...     values.get,
... )
{'image': 'app:eu-west-1', 'limits': {'cpu': 2}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["VARIABLE_PREFIX", "resolve_variables"]

VARIABLE_PREFIX = "prefect.variables."
"""Placeholders that name a variable start with this (``praefect.variables.`` works too)."""

_PLACEHOLDER = re.compile(r"\{\{\s*(?:prefect|praefect)\.variables\.([a-z0-9_-]+)\s*\}\}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve_variables(template: Any, read: Callable[[str], Any]) -> Any:
    """``template`` (dicts and lists walked) with each variable placeholder filled in by
    ``read(name)``: the variable's value, or None when there is no such variable."""
    cache: dict[str, Any] = {}

    def value_of(name: str) -> Any:
        if name not in cache:
            found = read(name)
            cache[name] = "" if found is None else found
        return cache[name]

    def resolve(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: resolve(value) for key, value in item.items()}
        if isinstance(item, list):
            return [resolve(value) for value in item]
        if not isinstance(item, str) or "{{" not in item:
            return item
        whole = _PLACEHOLDER.fullmatch(item.strip())
        if whole is not None:
            return value_of(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _text(value_of(m.group(1))), item)

    return resolve(template)
