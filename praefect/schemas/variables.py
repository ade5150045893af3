"""Variables on the wire: Prefect 3's ``Variable``, ``VariableCreate``, ``VariableUpdate``,
``VariableFilter`` and the bodies of ``POST /variables/filter`` and ``/count``.

A variable's value is JSON: a string, a number, a bool, None, a list or a dict.

>>> VariableQuery.model_validate({"variables": {"name": {"like_": "db"}}}).sort.value
'NAME_ASC'
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import Field

from praefect.schemas.filters import _Combined, _Filter, _Ids, _Names, _TagList
from praefect.schemas.objects import _Object
from praefect.schemas.queries import Limit, Offset, _Query

__all__ = [
    "MAX_VARIABLE_NAME_LENGTH",
    "MAX_VARIABLE_VALUE_LENGTH",
    "Variable",
    "VariableCreate",
    "VariableCriteria",
    "VariableFilter",
    "VariableFilterId",
    "VariableFilterName",
    "VariableFilterTags",
    "VariableQuery",
    "VariableSort",
    "VariableUpdate",
]

MAX_VARIABLE_NAME_LENGTH = 255
MAX_VARIABLE_VALUE_LENGTH = 5000
"""Characters of a value's JSON text, at most (Prefect's limit)."""

VariableValue = str | int | float | bool | dict[str, Any] | list[Any] | None


class Variable(_Object):
    """A stored variable (Prefect's ``Variable`` read model)."""

    name: str
    value: VariableValue = None
    tags: list[str] = Field(default_factory=list)


class VariableCreate(_Filter):
    """The body of ``POST /variables/`` (the name and value are checked by the service
    layer, so that both doors give the same error)."""

    name: str
    value: VariableValue = None
    tags: list[str] = Field(default_factory=list)


class VariableUpdate(_Filter):
    """The body of ``PATCH /variables/{id}`` and ``/variables/name/{name}``: the fields
    given are changed."""

    name: str | None = None
    value: VariableValue = None
    tags: list[str] | None = None


class VariableFilterId(_Ids):
    pass


class VariableFilterName(_Names):
    pass


class VariableFilterTags(_Combined):
    all_: _TagList | None = None
    """Match variables having every one of these tags."""
    is_null_: bool | None = None
    """True: match variables without tags; False: variables with tags."""


class VariableFilter(_Combined):
    """Which variables (Prefect's ``VariableFilter``)."""

    id: VariableFilterId | None = None
    name: VariableFilterName | None = None
    tags: VariableFilterTags | None = None


class VariableSort(enum.StrEnum):
    """Orders of variables."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_DESC = "NAME_DESC"
    NAME_ASC = "NAME_ASC"


class VariableCriteria(_Query):
    """Which variables (the body of ``POST /variables/count``)."""

    variables: VariableFilter | None = None


class VariableQuery(VariableCriteria):
    """A page of variables (the body of ``POST /variables/filter``), by name unless ``sort``."""

    sort: VariableSort = VariableSort.NAME_ASC
    limit: Limit = None
    offset: Offset = 0
