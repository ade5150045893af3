"""Event pages: the feed filtered by name prefix and resource, one event with its related
resources, and the events panel of a run's page."""

from __future__ import annotations


def _emit(client, name: str, resource: str, **fields) -> None:
    body = [{"event": name, "resource": {"prefect.resource.id": resource}, **fields}]
    assert client.post("/api/events", json=body).status_code == 204


def test_the_feed_lists_events_newest_first_and_filters_them(client):
    _emit(client, "acme.order.created", "acme.order.1", occurred="2030-01-01T00:00:00Z")
    _emit(client, "acme.order.shipped", "acme.order.1", occurred="2030-01-01T00:05:00Z")
    _emit(client, "other.thing", "other.1", occurred="2030-01-01T00:06:00Z")
    html = client.get("/events").text
    assert (
        html.index("other.thing")
        < html.index("acme.order.shipped")
        < html.index("acme.order.created")
    )
    assert 'href="/events"' in client.get("/dashboard").text  # in the navigation
    filtered = client.get("/events", params={"prefix": "acme.order."}).text
    assert "acme.order.shipped" in filtered and "other.thing" not in filtered
    assert "2 events" in filtered
    by_resource = client.get("/events", params={"resource": "other."}).text
    assert "other.thing" in by_resource and "acme.order" not in by_resource.split("events-table")[1]
    fragment = client.get("/events", params={"prefix": "nothing."}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "No events match." in fragment.text


def test_an_event_page_shows_its_labels_related_resources_and_payload(client, new_run):
    run = new_run("COMPLETED")
    related = [
        {
            "prefect.resource.id": f"prefect.flow-run.{run['id']}",
            "prefect.resource.role": "flow-run",
            "prefect.resource.name": run["name"],
        }
    ]
    body = [
        {
            "id": "0b8a8d33-0b77-4b7e-9a79-3c3a3bc1f0a1",
            "event": "acme.report.ready",
            "resource": {"prefect.resource.id": "acme.report.7", "prefect.resource.name": "r7"},
            "related": related,
            "payload": {"pages": 12},
        }
    ]
    assert client.post("/api/events", json=body).status_code == 204
    page = client.get("/events/event/0b8a8d33-0b77-4b7e-9a79-3c3a3bc1f0a1").text
    assert "acme.report.ready" in page and "prefect.resource.name" in page
    related_table = page.split('id="related-resources"')[1]
    assert f'href="/runs/flow-run/{run["id"]}"' in related_table and "flow-run" in related_table
    assert "&#34;pages&#34;: 12" in page or '"pages": 12' in page
    run_page = client.get(f"/runs/flow-run/{run['id']}").text
    panel = run_page.split('id="run-events"')[1]
    assert "acme.report.ready" in panel  # related to the run
    assert "prefect.flow-run.Completed" in panel  # about the run: its state change
    missing = client.get("/events/event/not-an-id")
    assert missing.status_code == 404 and "No event with id" in missing.text
