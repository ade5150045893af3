"""The JSON schema of a flow's parameters, and validation against it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Literal

import pydantic

from praefect.utilities.parameter_schema import parameter_schema, validation_errors


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


def test_schema_has_types_defaults_positions_and_required():
    def f(a: int, b: str = "x", *args: int, c: list[float] | None = None, **kwargs: int): ...

    schema = parameter_schema(f)
    assert list(schema["properties"]) == ["a", "b", "c"]
    assert schema["required"] == ["a"]
    assert schema["properties"]["a"]["type"] == "integer"
    assert schema["properties"]["b"] == {
        "default": "x",
        "position": 1,
        "title": "b",
        "type": "string",
    }
    assert schema["properties"]["c"]["position"] == 3


def test_models_and_literals_are_described():
    def f(p: Point, mode: Literal["fast", "slow"] = "fast"): ...

    schema = parameter_schema(f)
    assert validation_errors(schema, {"p": {"x": 1}}) == []
    assert validation_errors(schema, {"p": {"x": "no"}, "mode": "warp"}) == [
        "mode: 'warp' is not one of ['fast', 'slow']",
        "p.x: 'no' is not of type 'integer'",
    ]


def test_unannotated_and_unserializable_parameters_accept_anything():
    lock = threading.Lock()

    def f(a, when: dt.datetime | None = None, lock: threading.Lock = lock): ...

    schema = parameter_schema(f)  # no warning, no error
    assert schema["properties"]["a"] == {"position": 0, "title": "a"}
    assert "default" not in schema["properties"]["lock"]
    assert validation_errors(schema, {"a": object.__name__, "lock": None}) == []


def test_missing_required_parameter_is_named():
    def f(a: int): ...

    assert validation_errors(parameter_schema(f), {}) == ["parameters: 'a' is a required property"]
    assert validation_errors(None, {"anything": 1}) == []


def test_a_name_the_flow_does_not_take_is_refused_unless_it_takes_kwargs():
    def strict(n: int = 1): ...

    def open_ended(n: int = 1, **options: str): ...

    assert validation_errors(parameter_schema(strict), {"n": 2, "unknown": 1}) == [
        "unknown: not a parameter of the flow (it takes: n)"
    ]
    assert validation_errors(parameter_schema(open_ended), {"n": 2, "unknown": "x"}) == []
