"""One real uvicorn server on a free loopback port, in a thread, reached with httpx."""

from __future__ import annotations

import httpx

from praefect.server.background import BackgroundServer


def test_a_real_server_answers_over_http(database_url):
    with (
        BackgroundServer(database_url=database_url) as server,
        httpx.Client(base_url=server.api_url, timeout=10) as http,
    ):
        assert http.get("/health").json() is True
        flow = http.post("/flows/", json={"name": "live"}).json()
        run = http.post("/flow_runs/", json={"flow_id": flow["id"]}).json()
        result = http.post(f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "RUNNING"}})
        assert result.json()["status"] == "ACCEPT"
        found = http.post("/flow_runs/filter", json={"flows": {"name": {"any_": ["live"]}}}).json()
        assert [r["state_type"] for r in found] == ["RUNNING"]
