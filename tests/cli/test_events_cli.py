"""``praefect events emit`` and ``praefect events stream`` (Prefect's ``prefect event`` alias)."""

from __future__ import annotations

import json


def test_emit_then_stream_prints_the_event(invoke_here, tmp_path):
    emitted = invoke_here(
        "events",
        "emit",
        "acme.order.shipped",
        "--resource-id",
        "acme.order.456",
        "--resource",
        "prefect.resource.name=order 456",
        "--payload",
        '{"tracking": "AB1"}',
    )
    assert emitted.code == 0, emitted.output
    assert "Emitted event 'acme.order.shipped'" in emitted.stdout
    streamed = invoke_here("event", "stream", "--run-once", "--event", "acme.order.")
    assert streamed.code == 0, streamed.output
    event = json.loads(streamed.stdout.strip().splitlines()[-1])
    assert event["event"] == "acme.order.shipped"
    assert event["resource"] == {
        "prefect.resource.id": "acme.order.456",
        "prefect.resource.name": "order 456",
    }
    assert event["payload"] == {"tracking": "AB1"}
    out = tmp_path / "events.txt"
    texted = invoke_here(
        "events", "stream", "--run-once", "--format", "text", "--output-file", str(out)
    )
    assert texted.code == 0
    assert out.read_text().strip().endswith("acme.order.shipped acme.order.456")


def test_emit_refuses_an_event_without_a_resource_id_or_with_a_bad_name(invoke_here):
    no_id = invoke_here("events", "emit", "acme.x", "--payload", "{}")
    assert no_id.code == 1 and "resource id" in no_id.output
    bad = invoke_here("events", "emit", "acme x", "--resource-id", "acme.1")
    assert bad.code == 1 and "event name" in bad.output
    bad_payload = invoke_here("events", "emit", "acme.x", "--resource-id", "a", "--payload", "[1]")
    assert bad_payload.code == 1 and "--payload must be a JSON object" in bad_payload.output
