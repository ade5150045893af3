"""Reading a field of a record that may be a mapping (a stored row) or an object (a model).

>>> field({"name": "etl"}, "name"), field(None, "name", "-")
('etl', '-')
"""

from __future__ import annotations

from typing import Any

__all__ = ["field"]


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` otherwise; ``default`` when missing."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)
