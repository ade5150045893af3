"""Deployment triggers: ``to_deployment(triggers=...)`` makes automations the deployment owns,
which run it when their events come."""

from __future__ import annotations

import time
import uuid

from flows_for_deployments import scheduled_report

from praefect import database, orchestration
from praefect.automations import EventTrigger
from praefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from praefect.schemas.deployment_triggers import DeploymentEventTrigger
from praefect.settings import get_current_settings


def _emit(name: str, resource: str) -> None:
    row = {"id": uuid.uuid4(), "event": name, "resource": {"prefect.resource.id": resource}}
    from praefect.schemas.events import Event
    from praefect.schemas.states import now_utc

    event = Event.model_validate(row).to_row(now_utc())
    engine = database.get_engine(get_current_settings().resolved_database_url)
    database.write(engine, lambda conn: orchestration.events.ingest(conn, [event]))


def _runs_of(client, deployment_id, at_least: int = 1) -> list:
    of = DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
    for _ in range(200):
        runs = client.read_flow_runs(deployment_filter=of)
        if len(runs) >= at_least:
            return runs
        time.sleep(0.02)
    return runs


def test_a_deployment_trigger_runs_the_deployment_with_templated_parameters(client):
    trigger = DeploymentEventTrigger(
        name="report-on-upload",
        expect={"acme.upload"},
        match={"prefect.resource.id": "acme.file.*"},
        parameters={"label": "{{ event.resource.id }}", "n": 2},
    )
    deployment_id = scheduled_report.to_deployment("on-upload", triggers=[trigger]).apply()
    owned = client.read_resource_related_automations(f"prefect.deployment.{deployment_id}")
    assert [a.name for a in owned] == ["report-on-upload"]
    assert owned[0].owner_resource == f"prefect.deployment.{deployment_id}"

    _emit("acme.upload", "acme.file.42")
    runs = _runs_of(client, deployment_id)
    assert [r.parameters for r in runs] == [{"n": 2, "label": "acme.file.42"}]


def test_applying_again_replaces_the_deployments_automations(client):
    first = scheduled_report.to_deployment("replaced", triggers=[EventTrigger(expect={"acme.a"})])
    deployment_id = first.apply()
    second = scheduled_report.to_deployment(
        "replaced", triggers=[EventTrigger(expect={"acme.b"}), EventTrigger(expect={"acme.c"})]
    )
    second.apply()
    owned = client.read_resource_related_automations(f"prefect.deployment.{deployment_id}")
    assert sorted(sorted(a.trigger.expect)[0] for a in owned) == ["acme.b", "acme.c"]
    assert all(a.actions[0].deployment_id == deployment_id for a in owned)
    scheduled_report.to_deployment("replaced").apply()
    assert client.read_resource_related_automations(f"prefect.deployment.{deployment_id}") == []


def test_serving_a_flow_with_triggers_makes_its_automations(client):
    from praefect.runner import Runner

    trigger = DeploymentEventTrigger(expect={"acme.served"}, parameters={"n": 5})
    deployment_id = Runner().add_flow(scheduled_report, "served", triggers=[trigger])
    owned = client.read_resource_related_automations(f"prefect.deployment.{deployment_id}")
    assert [a.actions[0].parameters for a in owned] == [{"n": 5}]
    assert owned[0].name == f"Automation for deployment {deployment_id}"
