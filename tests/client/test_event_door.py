"""Events through both doors: queued with the write-behind batches (acknowledged by the server
over HTTP), read back with Prefect's EventFilter; ``emit_event`` inside a flow names its run."""

from __future__ import annotations

from praefect import flow
from praefect.events import Event, emit_event
from praefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
from praefect.runtime import flow_run


def test_queued_events_are_stored_and_read_back_with_a_filter(door):
    events = [
        Event(event="acme.order.created", resource={"prefect.resource.id": f"acme.order.{i}"})
        for i in range(3)
    ]
    door.enqueue_events(events)
    door.enqueue_events(events[:1])  # the same event again: stored once
    found = door.filter_events(EventFilter(event=EventNameFilter(prefix=["acme.order."])))
    assert sorted(row["resource_id"] for row in found) == [f"acme.order.{i}" for i in range(3)]
    assert {row["id"] for row in found} == {event.id for event in events}


def test_an_event_emitted_in_a_flow_is_related_to_its_run(praefect_home):
    from praefect.client import get_orchestration_client

    @flow
    def shipping() -> str:
        emit_event(
            "acme.parcel.shipped",
            resource={"prefect.resource.id": "acme.parcel.7"},
            related=[
                {"prefect.resource.id": "acme.customer.1", "prefect.resource.role": "customer"}
            ],
            payload={"weight": 2},
        )
        return str(flow_run.id)

    run_id = shipping()
    about_run = EventFilter(
        related=EventRelatedFilter(id=[f"prefect.flow-run.{run_id}"], role=["flow-run"])
    )
    found = get_orchestration_client().filter_events(about_run)
    assert [row["event"] for row in found] == ["acme.parcel.shipped"]
    roles = [r["prefect.resource.role"] for r in found[0]["related"]]
    assert roles[:2] == ["customer", "flow-run"]
    assert found[0]["payload"] == {"weight": 2}


def test_a_flow_run_subscriber_yields_the_runs_events_and_logs_until_it_ends(praefect_home):
    import asyncio

    from praefect import get_run_logger
    from praefect.events import FlowRunSubscriber
    from praefect.schemas.objects import Log

    @flow
    def chatty() -> str:
        get_run_logger().info("hello from the run")
        return str(flow_run.id)

    run_id = chatty()

    async def collect() -> list:
        async with FlowRunSubscriber(flow_run_id=run_id, straggler_timeout=0) as subscriber:
            return [item async for item in subscriber]

    items = asyncio.run(collect())
    names = [item.event for item in items if not isinstance(item, Log)]
    assert names[-1] == "prefect.flow-run.Completed"
    assert "prefect.flow-run.Running" in names
    assert any(isinstance(i, Log) and i.message == "hello from the run" for i in items)
