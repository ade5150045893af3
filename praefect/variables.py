"""Variables: named, mutable JSON values shared by flows, tasks and deployments (Prefect 3's
``prefect.variables``).

A value is JSON: a string, a number, a bool, None, a list or a dict (at most 5,000 characters
of JSON). A name is lowercase letters, numbers, dashes and underscores.

>>> from praefect.variables import Variable
>>> _ = Variable.set("warehouse_region", "eu-west-1", overwrite=True)  # doctest: +SKIP
>>> Variable.get("warehouse_region")  # doctest: +SKIP
'eu-west-1'
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar, overload

from pydantic import BaseModel, Field

from praefect import client as _client
from praefect import exceptions

__all__ = ["Variable"]

T = TypeVar("T")

VariableValue = str | int | float | bool | dict[str, Any] | list[Any] | None


def _door() -> Any:
    return _client.get_orchestration_client()


class Variable(BaseModel):
    """A named JSON value: ``Variable.set(name, value)``, ``Variable.get(name)``,
    ``Variable.unset(name)`` (and ``aset``, ``aget``, ``aunset`` to await)."""

    name: str = Field(max_length=255, description="The name of the variable.")
    value: VariableValue = Field(default=None, description="The value of the variable.")
    tags: list[str] | None = Field(default=None, description="Tags of the variable.")

    @classmethod
    def set(
        cls,
        name: str,
        value: VariableValue,
        tags: list[str] | None = None,
        overwrite: bool = False,
    ) -> Variable:
        """Store ``value`` under ``name`` and return the variable. A name already in use raises
        ``ValueError`` unless ``overwrite``; then its value and tags are replaced.

        >>> Variable.set("batch_size", 500, tags=["etl"], overwrite=True)  # doctest: +SKIP
        Variable(name='batch_size', value=500, tags=['etl'])
        """
        door = _door()
        fields = {"name": name, "value": value, "tags": list(tags or [])}
        if overwrite and door.update_variable_by_name(name, fields):
            return cls(**fields)
        try:
            row = door.create_variable(fields)
        except exceptions.ObjectAlreadyExists:
            raise ValueError(
                f"Variable {name!r} already exists. Use `overwrite=True` to update it."
            ) from None
        return cls(name=row["name"], value=row["value"], tags=row["tags"])

    @overload
    @classmethod
    def get(cls, name: str) -> Any: ...

    @overload
    @classmethod
    def get(cls, name: str, default: T) -> Any | T: ...

    @classmethod
    def get(cls, name: str, default: Any = None) -> Any:
        """The value of the variable ``name``, or ``default`` when there is none.

        >>> Variable.get("missing_variable", default="fallback")  # doctest: +SKIP
        'fallback'
        """
        row = _door().read_variable_by_name(name)
        return default if row is None else row["value"]

    @classmethod
    def unset(cls, name: str) -> bool:
        """Delete the variable ``name``; False when there was none."""
        return bool(_door().delete_variable_by_name(name))

    # -- async twins ----------------------------------------------------------------------
    @classmethod
    async def aset(
        cls,
        name: str,
        value: VariableValue,
        tags: list[str] | None = None,
        overwrite: bool = False,
    ) -> Variable:
        """``set``, awaited."""
        return await asyncio.to_thread(cls.set, name, value, tags, overwrite)

    @classmethod
    async def aget(cls, name: str, default: Any = None) -> Any:
        """``get``, awaited."""
        return await asyncio.to_thread(cls.get, name, default)

    @classmethod
    async def aunset(cls, name: str) -> bool:
        """``unset``, awaited."""
        return await asyncio.to_thread(cls.unset, name)
