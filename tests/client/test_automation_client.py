"""The automation methods of ``get_client()`` and ``praefect.automations.Automation``: the same
behaviour through the embedded door and through the HTTP door."""

from __future__ import annotations

import uuid

import pytest

from praefect import exceptions
from praefect.automations import (
    Automation,
    CompoundTrigger,
    DoNothing,
    EventTrigger,
    PauseDeployment,
    RunDeployment,
)
from praefect.client.orchestration import SyncPrefectClient
from praefect.schemas.automations import AutomationCore


@pytest.fixture
def client(door) -> SyncPrefectClient:
    return SyncPrefectClient(door)


def _automation(name: str, **fields) -> AutomationCore:
    trigger = EventTrigger(expect={"acme.thing.happened"}, match={"prefect.resource.id": "acme.*"})
    return AutomationCore(name=name, trigger=trigger, actions=[DoNothing()], **fields)


def test_create_read_filter_update_pause_and_delete_an_automation(client):
    automation_id = client.create_automation(_automation("first", tags=["ops"]))
    client.create_automation(_automation("second"))

    found = client.read_automation(automation_id)
    assert found.name == "first" and found.enabled and found.tags == ["ops"]
    assert found.trigger.expect == {"acme.thing.happened"}
    assert found.trigger.match.root == {"prefect.resource.id": "acme.*"}
    assert [a.name for a in client.read_automations()] == ["first", "second"]
    assert [a.id for a in client.read_automations_by_name("first")] == [automation_id]
    assert client.find_automation("second").name == "second"
    assert client.find_automation(str(automation_id)).id == automation_id

    client.pause_automation(automation_id)
    assert client.read_automation(automation_id).enabled is False
    client.resume_automation(automation_id)
    assert client.read_automation(automation_id).enabled is True

    changed = _automation("renamed").model_copy(
        update={"trigger": CompoundTrigger(require="any", triggers=[EventTrigger(expect={"x"})])}
    )
    client.update_automation(automation_id, changed)
    again = client.read_automation(automation_id)
    assert again.name == "renamed" and again.trigger.type == "compound"

    client.delete_automation(automation_id)
    assert client.read_automation(automation_id) is None
    client.delete_automation(automation_id)  # as Prefect: deleting a missing one is quiet
    with pytest.raises(exceptions.ObjectNotFound):
        client.pause_automation(automation_id)


def test_an_action_naming_a_missing_deployment_is_refused_and_nothing_is_written(client):
    missing = uuid.uuid4()
    bad = AutomationCore(
        name="runs-nothing",
        trigger=EventTrigger(expect={"acme.go"}),
        actions=[RunDeployment(deployment_id=missing)],
    )
    with pytest.raises(ValueError, match=str(missing)):
        client.create_automation(bad)
    assert client.read_automations() == []


def test_automations_related_to_and_owned_by_a_deployment(client):
    flow_id = client.create_flow_from_name("etl")
    deployment_id = client.create_deployment(flow_id, "nightly")
    resource = f"prefect.deployment.{deployment_id}"
    acting = AutomationCore(
        name="pauser",
        trigger=EventTrigger(expect={"acme.stop"}),
        actions=[PauseDeployment(deployment_id=deployment_id)],
    )
    client.create_automation(acting)
    client.create_automation(_automation("owned", owner_resource=resource))
    client.create_automation(_automation("unrelated"))

    related = client.read_resource_related_automations(resource)
    assert sorted(a.name for a in related) == ["owned", "pauser"]
    client.delete_resource_owned_automations(resource)
    assert sorted(a.name for a in client.read_automations()) == ["pauser", "unrelated"]


def test_the_sdk_automation_creates_reads_disables_and_deletes(door, monkeypatch):
    from praefect import automations

    monkeypatch.setattr(automations, "_client", lambda: SyncPrefectClient(door))
    created = Automation(
        name="sdk", trigger=EventTrigger(expect={"acme.sdk"}), actions=[DoNothing()]
    ).create()
    assert created.id is not None
    assert Automation.read(name="sdk").id == created.id
    assert created.disable() is True
    assert Automation.read(id=created.id).enabled is False
    assert created.enable() is True and Automation.read(id=created.id).enabled is True
    assert created.delete() is True
    assert created.delete() is False
    with pytest.raises(ValueError, match="not found"):
        Automation.read(name="sdk")


def test_templates_are_validated_by_the_api(tmp_path):
    from fastapi.testclient import TestClient

    from praefect.server.app import create_app

    api = TestClient(create_app(database_url=f"sqlite:///{tmp_path / 'templates.db'}"))
    good = api.post("/api/automations/templates/validate", json="{{ flow_run.name }}")
    assert good.status_code == 204
    bad = api.post("/api/automations/templates/validate", json="line one\n{{ flow_run.name ")
    assert bad.status_code == 422
    assert bad.json()["error"]["line"] == 2 and "flow_run.name" in bad.json()["error"]["source"]
