"""Flow parameters: coercion through type hints, refused values, binding errors."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from praefect import flow, task
from praefect.exceptions import ParameterBindError, ParameterTypeError
from praefect.runtime import flow_run
from praefect.states import StateType
from tests.engine.conftest import state_names


class Order(pydantic.BaseModel):
    sku: str
    quantity: int


def test_parameters_are_coerced_by_type_hints():
    @flow
    def typed(n: int, day: dt.date, flag: bool, order: Order):
        return n, day, flag, order

    n, day, flag, order = typed("7", "2024-03-01", "true", {"sku": "a", "quantity": "2"})
    assert n == 7
    assert day == dt.date(2024, 3, 1)
    assert flag is True
    assert order == Order(sku="a", quantity=2)


def test_refused_parameter_fails_the_run_before_the_body_runs(client):
    ran = []
    seen_ids = []

    def remember(flow, flow_run, state):
        seen_ids.append(flow_run.id)

    @flow(on_failure=[remember])
    def needs_int(count: int):
        ran.append(count)

    with pytest.raises(ParameterTypeError) as info:
        needs_int("many")
    message = str(info.value)
    assert "count" in message
    assert "int" in message
    assert ran == []

    [run] = client.read_flow_runs()
    assert run.id == seen_ids[0]
    assert run.state.type == StateType.FAILED
    assert "count" in run.state.message and "int" in run.state.message
    assert state_names(client.read_flow_run_states(run.id)) == ["Pending", "Failed"]
    assert client.read_task_runs() == []


def test_refused_parameter_with_return_state_gives_the_failed_state():
    @flow
    def needs_date(day: dt.date):
        return day

    state = needs_date("not a date", return_state=True)
    assert state.type == StateType.FAILED
    assert "day" in state.message
    with pytest.raises(ParameterTypeError):
        state.result()


def test_every_refused_parameter_is_named():
    @flow
    def two(a: int, b: float):
        pass

    with pytest.raises(ParameterTypeError) as info:
        two("x", "y")
    assert "'a'" in str(info.value) and "'b'" in str(info.value)


def test_validate_parameters_false_passes_values_untouched():
    @flow(validate_parameters=False)
    def loose(n: int):
        return n

    assert loose("7") == "7"


def test_runtime_parameters_are_the_coerced_values():
    @flow
    def typed(n: int):
        return flow_run.parameters["n"]

    assert typed("3") == 3


def test_missing_argument_is_a_clear_bind_error(client):
    @flow
    def needs_two(first, second):
        pass

    with pytest.raises(ParameterBindError, match="second") as info:
        needs_two(1)
    assert "first" in str(info.value)
    assert client.read_flow_runs() == []


def test_unexpected_argument_to_a_task_is_a_clear_bind_error():
    @task
    def load(path, limit=10):
        pass

    with pytest.raises(ParameterBindError, match="bogus"):
        load("p", bogus=1)


def test_default_values_are_used_and_recorded(client):
    @flow
    def defaults(a: int = 1, b: str = "x"):
        return a, b

    assert defaults() == (1, "x")
    [run] = client.read_flow_runs()
    assert run.parameters == {"a": 1, "b": "x"}
