"""The two doors conform to the one ``OrchestrationClient`` protocol: every operation is there,
with the protocol's signature to the letter (names, kinds, defaults, annotations, return)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from praefect.client.base import OrchestrationClient
from praefect.client.embedded import EmbeddedClient
from praefect.client.http import HttpClient

DOORS = [EmbeddedClient, HttpClient]

# Public methods one door has for reasons of its own transport, not operations of the protocol.
DOOR_ONLY = {
    EmbeddedClient: {"crash_dead_runs"},  # the embedded store sweeps its own dead runs
    # built from the API settings; delivers what its on-disk spool holds
    HttpClient: {"from_settings", "deliver_spool_in_background"},
}


def _operations(cls: type) -> set[str]:
    return {
        name
        for name in dir(cls)
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(cls, name))
    }


def _shape(function: Any) -> tuple[Any, ...]:
    """What a caller can rely on: each parameter's name, kind, default and annotation (as
    written), and the return annotation."""
    signature = inspect.signature(function)
    parameters = tuple(
        (p.name, p.kind, p.default, " ".join(str(p.annotation).split()))
        for p in signature.parameters.values()
    )
    return parameters, " ".join(str(signature.return_annotation).split())


PROTOCOL = sorted(_operations(OrchestrationClient))


def _problems(door: type, names: list[str] = PROTOCOL) -> list[str]:
    """How ``door`` departs from the protocol, for the operations ``names``."""
    problems = []
    for name in names:
        method = inspect.getattr_static(door, name, None)
        if not inspect.isfunction(method):
            problems.append(f"{door.__name__} lacks the operation {name}")
        elif _shape(getattr(door, name)) != _shape(getattr(OrchestrationClient, name)):
            problems.append(
                f"{door.__name__}.{name}{inspect.signature(getattr(door, name))} differs from"
                f" the protocol's {name}{inspect.signature(getattr(OrchestrationClient, name))}"
            )
    return problems


def test_the_protocol_declares_every_operation_a_door_offers():
    assert len(PROTOCOL) >= 60
    for door in DOORS:
        extra = _operations(door) - set(PROTOCOL) - DOOR_ONLY[door]
        assert not extra, (
            f"{door.__name__} has public method(s) {sorted(extra)} the OrchestrationClient "
            "protocol does not declare: add them to praefect/client/base.py (and the other "
            "door), or make them private."
        )


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
@pytest.mark.parametrize("name", PROTOCOL)
def test_each_door_has_each_operation_with_the_protocols_signature(door, name):
    assert not _problems(door, [name])


def test_a_door_that_lacks_an_operation_or_spells_it_differently_is_caught():
    class Partial(EmbeddedClient):
        read_flow_runs = None  # type: ignore[assignment]

        def count_flow_runs(self, flow_run_filter: Any = None) -> int:  # type: ignore[override]
            return 0

    assert _problems(Partial, ["read_flow_runs", "count_flow_runs", "read_logs"]) == [
        "Partial lacks the operation read_flow_runs",
        "Partial.count_flow_runs(self, flow_run_filter: 'Any' = None) -> 'int' differs from the"
        " protocol's count_flow_runs(self, criteria: 'FlowRunCriteria | None' = None) -> 'int'",
    ]
