"""The UI's pages and actions over HTTP (no browser): what each page shows, the filters and
pages of the runs list, errors, auth and the cross-site guard."""

from __future__ import annotations

import base64
import re
import uuid

from fastapi.testclient import TestClient

from praefect.ui import guard


def test_root_opens_the_dashboard_and_api_and_docs_still_answer(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/dashboard"
    assert "Flow runs by state" in client.get("/dashboard").text
    assert client.get("/api/health").json() is True
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/")], "UI routes in the API docs"


def test_the_rest_api_docs_load_nothing_from_the_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    sources += re.findall(r"url: '([^']+)'", page.text)
    assert sources and all(src.startswith("/") for src in sources), sources
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "praefect"


def test_an_unknown_path_shows_the_not_found_page_to_a_browser_and_json_to_clients(client):
    page = client.get("/no-such-page", headers={"accept": "text/html,*/*"})
    assert page.status_code == 404
    assert "There is no page at /no-such-page." in page.text and 'href="/runs"' in page.text
    api = client.get("/api/no-such-route", headers={"accept": "text/html,*/*"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    plain = client.get("/no-such-page")
    assert plain.status_code == 404 and plain.json() == {"detail": "Not Found"}


def test_static_files_and_vendored_libraries_are_served(client):
    for path in (
        "/static/app.js",
        "/static/app.css",
        "/static/vendor/htmx.min.js",
        "/static/vendor/uPlot.iife.min.js",
        "/static/vendor/dagre.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(response.content) > 1000, path


def test_pages_load_nothing_from_another_site(client, new_run):
    run = new_run()
    for path in ("/dashboard", "/runs", "/flows", f"/runs/flow-run/{run['id']}"):
        html = client.get(path).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, path
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], path


def test_dashboard_shows_failures_and_newest_runs(client, new_run):
    failed = new_run("FAILED", name="broken-run")
    new_run("COMPLETED", name="fine-run")
    html = client.get("/dashboard").text
    panel = html.split("Failures in the last day")[1].split("Late runs")[0]
    assert "broken-run" in panel and "fine-run" not in panel
    assert f"/runs/flow-run/{failed['id']}" in panel
    assert "fine-run" in html.split("Newest flow runs")[1]


def test_history_views_leave_out_upcoming_runs(client, new_run):
    import datetime as dt

    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    new_run("COMPLETED", name="ran-run")
    for i in range(3):
        new_run("SCHEDULED", name=f"future-run-{i}", expected_start_time=tomorrow)
    html = client.get("/dashboard").text
    assert 'data-stat="total">1<' in html and "100.0% of runs" in html
    assert "future-run" not in html.split("Newest flow runs")[1]
    listed = client.get("/runs").text
    assert "ran-run" in listed and "future-run" not in listed
    upcoming = client.get("/runs?state=SCHEDULED").text
    assert "future-run-0" in upcoming and "ran-run" not in upcoming
    flows = client.get("/flows").text
    assert "ran-run" in flows and "future-run" not in flows  # the flow's last run
    chart = client.get("/ui/charts/runs.json?range=24h").json()
    assert sum(sum(v) for v in chart["counts"].values()) == 1


def test_runs_list_filters_by_state_and_flow(client, new_run):
    new_run("FAILED", flow="etl", name="etl-failed")
    new_run("COMPLETED", flow="etl", name="etl-ok")
    other = new_run("FAILED", flow="report", name="report-failed")
    failed = client.get("/runs?state=FAILED").text
    assert "etl-failed" in failed and "report-failed" in failed and "etl-ok" not in failed
    only_report = client.get(f"/runs?state=FAILED&flow={other['flow_id']}").text
    assert "report-failed" in only_report and "etl-failed" not in only_report


def test_runs_list_pages_with_a_cursor(client, new_run):
    names = [new_run(name=f"run-{i:02d}")["name"] for i in range(55)]
    first = client.get("/runs").text
    shown = set(re.findall(r">(run-\d\d)</a>", first))
    assert len(shown) == 50 and "run-54" in shown
    cursor = re.search(r'href="/runs\?after=([^"&]+)"', first).group(1)
    second = client.get(f"/runs?after={cursor}").text
    rest = set(re.findall(r">(run-\d\d)</a>", second))
    assert shown | rest == set(names) and not shown & rest


def test_runs_list_answers_htmx_with_the_table_only(client, new_run):
    new_run(name="only-run")
    response = client.get("/runs", headers={"HX-Request": "true"})
    assert "only-run" in response.text
    assert "<html" not in response.text


def test_bad_filters_are_explained_not_fatal(client, new_run):
    new_run(name="still-listed")
    html = client.get("/runs?state=DONE&range=1y&flow=abc&after=zzz").text
    assert "Unknown state &#39;DONE&#39;" in html
    assert "Unknown time range &#39;1y&#39;" in html
    assert "The flow filter &#39;abc&#39; is not an id" in html
    assert "Invalid page cursor &#39;zzz&#39;" in html
    assert "still-listed" in html


def test_unknown_ids_get_a_404_page_naming_them(client):
    missing = uuid.uuid4()
    for path, text in (
        (f"/runs/flow-run/{missing}", f"No flow run with id &#39;{missing}&#39;"),
        ("/runs/task-run/nope", "No task run with id &#39;nope&#39;"),
        (f"/flows/flow/{missing}", f"No flow with id &#39;{missing}&#39;"),
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert text in response.text


def test_flow_run_page_shows_state_history_parameters_and_subflows(client, new_run):
    parent = new_run("RUNNING", name="parent-run", parameters={"n": 42})
    task = client.post(
        "/api/task_runs/",
        json={"flow_run_id": parent["id"], "task_key": "k", "dynamic_key": "0", "name": "child"},
    ).json()
    new_run("COMPLETED", flow="sub", name="child-run", parent_task_run_id=task["id"])
    html = client.get(f"/runs/flow-run/{parent['id']}").text
    assert "parent-run" in html and "Running" in html
    assert "&#34;n&#34;: 42" in html
    assert "child-run" in html.split("Subflow runs")[1]
    assert 'id="cancel-form"' in html and 'id="cancel-form" hidden' not in html


def test_cancel_action_cancels_a_scheduled_run_through_the_rules(client, new_run):
    run = new_run("SCHEDULED")
    response = client.post(f"/ui/flow-runs/{run['id']}/cancel", follow_redirects=False)
    assert response.status_code == 303
    assert "now%20Cancelled" in response.headers["location"]
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "CANCELLED"


def test_cancelling_a_finished_run_is_refused_with_the_reason(client, new_run):
    run = new_run("COMPLETED")
    response = client.post(f"/ui/flow-runs/{run['id']}/cancel")
    assert "Not cancelled (ABORT)" in response.text
    assert "terminal state COMPLETED" in response.text


def test_cross_site_posts_to_actions_are_refused(client, new_run):
    run = new_run("SCHEDULED")
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        response = client.post(f"/ui/flow-runs/{run['id']}/cancel", headers=headers)
        assert response.status_code == 403
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"


def test_a_page_sets_the_csrf_cookie_and_puts_the_token_in_its_forms(client, new_run):
    run = new_run("SCHEDULED")
    token = client.cookies[guard.COOKIE]
    page = client.get(f"/runs/flow-run/{run['id']}")
    assert f'name="csrf_token" value="{token}"' in page.text
    assert f'"X-CSRF-Token": "{token}"' in page.text  # htmx sends it as a header
    fresh = TestClient(client.app)
    response = fresh.get("/dashboard")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{guard.COOKIE}=") and "SameSite=Strict" in cookie
    assert "HttpOnly" in cookie
    assert fresh.cookies[guard.COOKIE] != token  # one per browser


def test_a_ui_post_without_the_csrf_token_is_refused(client, new_run):
    run = new_run("SCHEDULED")
    url = f"/ui/flow-runs/{run['id']}/cancel"
    token = client.headers.pop(guard.HEADER)
    for headers, data in (
        ({}, None),  # a form another site posts: the cookie comes along, the token cannot
        ({guard.HEADER: "x" * 32}, None),
        ({}, {guard.FIELD: "y" * 32}),
    ):
        response = client.post(url, headers=headers, data=data)
        assert response.status_code == 403, (headers, data)
        assert "CSRF token is missing or stale" in response.text
    stranger = TestClient(client.app)  # no cookie: a token alone is not enough
    assert stranger.post(url, headers={guard.HEADER: token}).status_code == 403
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"
    response = client.post(url, data={guard.FIELD: token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "CANCELLED"


def test_with_auth_on_the_pages_ask_for_credentials(make_app):
    client = TestClient(make_app(server_api_auth_string="admin:pw"))
    response = client.get("/dashboard")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Basic"
    good = {"Authorization": "Basic " + base64.b64encode(b"admin:pw").decode()}
    assert client.get("/dashboard", headers=good).status_code == 200
    assert client.get("/static/app.js").status_code == 401


def test_chart_data_counts_runs_by_state_and_refuses_unknown_ranges(client, new_run):
    new_run("FAILED")
    new_run("COMPLETED")
    new_run("COMPLETED")
    data = client.get("/ui/charts/runs.json?range=1h").json()
    assert {kind: sum(counts) for kind, counts in data["counts"].items()} == {
        "COMPLETED": 2,
        "FAILED": 1,
    }
    response = client.get("/ui/charts/runs.json?range=1y")
    assert response.status_code == 422
    assert "Unknown range '1y'" in response.json()["detail"]


def test_work_pool_pages_show_health_workers_and_queues(client):
    pool = {"name": "local pool", "type": "process", "description": "On this machine"}
    assert client.post("/api/work_pools/", json=pool).status_code == 201
    beat = {"name": "worker-1", "heartbeat_interval_seconds": 30}
    assert client.post("/api/work_pools/local pool/workers/heartbeat", json=beat).is_success
    listing = client.get("/work-pools").text
    assert "/work-pools/work-pool/local%20pool" in listing
    assert 'data-status="READY"' in listing and "1 of 1" in listing
    page = client.get("/work-pools/work-pool/local pool").text
    workers = page.split('id="workers"')[1].split("</table>")[0]
    assert "worker-1" in workers and 'data-status="ONLINE"' in workers
    assert "default" in page.split('id="queues"')[1]
    assert "local pool" in client.get("/dashboard").text.split('id="pools-panel"')[1]


def test_an_unknown_work_pool_gets_a_404_page(client):
    response = client.get("/work-pools/work-pool/nowhere")
    assert response.status_code == 404
    assert "No work pool named &#39;nowhere&#39;" in response.text
