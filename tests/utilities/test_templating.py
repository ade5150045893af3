"""``{{ prefect.variables.name }}`` placeholders filled in with variables' values."""

from __future__ import annotations

from praefect.utilities.templating import resolve_variables


def test_a_whole_placeholder_keeps_the_type_and_a_partial_one_is_text():
    values = {"region": "eu", "replicas": 3, "limits": {"cpu": 2}}
    reads: list[str] = []

    def read(name: str) -> object:
        reads.append(name)
        return values.get(name)

    template = {
        "image": "app:{{ prefect.variables.region }}-{{prefect.variables.replicas}}",
        "replicas": "{{ prefect.variables.replicas }}",
        "limits": ["{{ praefect.variables.limits }}", "{{ prefect.variables.limits }}x"],
        "missing": "{{ prefect.variables.nope }}",
        "other": "{{ step.output }} {{ $HOME }} {{ image }}",
        "number": 7,
    }
    assert resolve_variables(template, read) == {
        "image": "app:eu-3",
        "replicas": 3,
        "limits": [{"cpu": 2}, '{"cpu": 2}x'],
        "missing": "",
        "other": "{{ step.output }} {{ $HOME }} {{ image }}",
        "number": 7,
    }
    assert sorted(reads) == ["limits", "nope", "region", "replicas"]  # each read once
