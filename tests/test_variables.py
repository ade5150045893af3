"""``praefect.variables.Variable``: set, get, overwrite, unset and their async twins, in embedded
mode (the doors' own tests run the same calls over HTTP)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from praefect import flow
from praefect.variables import Variable


def test_set_get_overwrite_and_unset():
    created = Variable.set("warehouse", {"host": "db", "port": 5432}, tags=["infra"])
    assert (created.name, created.tags) == ("warehouse", ["infra"])
    assert Variable.get("warehouse") == {"host": "db", "port": 5432}
    with pytest.raises(ValueError, match="'warehouse' already exists.*overwrite=True"):
        Variable.set("warehouse", 1)
    Variable.set("warehouse", [1, 2.5, True, None, "x"], overwrite=True)
    assert Variable.get("warehouse") == [1, 2.5, True, None, "x"]
    assert Variable.unset("warehouse") is True
    assert Variable.unset("warehouse") is False
    assert Variable.get("warehouse") is None
    assert Variable.get("warehouse", default=3) == 3


def test_overwrite_creates_a_missing_variable_and_a_flow_reads_it():
    Variable.set("threshold", 0.75, overwrite=True)

    @flow
    def check() -> bool:
        return Variable.get("threshold") > 0.5

    assert check() is True


def test_a_value_that_is_not_json_names_its_type():
    with pytest.raises(ValueError, match="'date' is not JSON"):
        Variable.set("when", dt.date(2030, 1, 1))
    with pytest.raises(ValueError, match="'Bad-Name'"):
        Variable.set("Bad-Name", 1)
    assert Variable.get("when") is None


def test_async_twins():
    async def main() -> tuple[object, object, bool]:
        await Variable.aset("mode", "fast")
        value = await Variable.aget("mode")
        missing = await Variable.aget("nope", default="slow")
        return value, missing, await Variable.aunset("mode")

    assert asyncio.run(main()) == ("fast", "slow", True)
