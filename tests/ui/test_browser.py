"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a real server
on a free port, showing flows run by this process (embedded mode, same SQLite database).

One server and one browser serve the whole module; each test runs its own flows (their names
are unique) in a fresh browser context. Without Chromium (``apt-get install -y chromium``;
``make test`` installs it) these tests skip, except with ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from praefect import flow, get_run_logger, settings, task
from praefect.server.background import BackgroundServer

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
expect = playwright_api.expect
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser tests must run)", pytrace=False)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'praefect.db'}"
    with BackgroundServer(database_url=url) as running:
        yield running


@pytest.fixture(autouse=True)
def same_database(server: BackgroundServer, praefect_home: Path) -> Iterator[None]:
    """Flows of this test write to the server's database (embedded mode, no API URL)."""
    with settings.temporary_settings(
        {"database_url": server.app.state.database_url}, process_wide=True
    ):
        yield


@pytest.fixture
def page(browser: Any, server: BackgroundServer) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@task
def double(x: int) -> int:
    return 2 * x


@task
def add(a: int, b: int) -> int:
    return a + b


def test_dashboard_runs_and_flows_pages_show_real_runs(page, server):
    name = _unique("pages")

    @flow(name=name, flow_run_name=f"{name}-ok")
    def works() -> int:
        return add(double(1), double(2))

    @flow(name=name, flow_run_name=f"{name}-broken")
    def breaks() -> None:
        raise ValueError("boom")

    works()
    with pytest.raises(ValueError):
        breaks()
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("#dashboard-panels")).to_contain_text(f"{name}-ok")
    expect(page.locator("#dashboard-panels")).to_contain_text(f"{name}-broken")
    expect(page.locator("#runs-chart canvas")).to_have_count(1)  # uPlot drew the chart

    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page).to_have_url(f"{server.url}/runs")
    table = page.locator("#runs-table")
    expect(table).to_contain_text(f"{name}-ok")
    page.locator("label.chip", has_text="Failed").click()  # htmx reloads the table
    expect(page).to_have_url(f"{server.url}/runs?state=FAILED")
    expect(table).to_contain_text(f"{name}-broken")
    expect(table).not_to_contain_text(f"{name}-ok")

    page.get_by_role("link", name="Flows", exact=True).click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#flow-runs")).to_contain_text(f"{name}-ok")


def test_flow_run_graph_draws_one_node_per_task_with_its_edges(page):
    name = _unique("graph")

    @flow(name=name)
    def diamond() -> int:
        a = double.submit(1)
        b = double.submit(a)
        c = double.submit(a)
        return add.submit(b, c).result()

    state = diamond(return_state=True)
    run_id = state.state_details["flow_run_id"]
    page.goto(f"/runs/flow-run/{run_id}")
    graph = page.locator("#task-graph")
    expect(graph).to_have_attribute("data-nodes", "4")
    expect(graph.locator("g.node")).to_have_count(4)
    expect(graph.locator("g.node.state-completed")).to_have_count(4)
    # a -> b, a -> c, b -> add, c -> add: four edges in one path
    assert graph.locator("path.edge").get_attribute("d").count("M") == 4
    page.get_by_role("button", name="Timeline").click()
    expect(graph.locator("rect.tbar")).to_have_count(4)
    page.get_by_role("button", name="Graph").click()
    graph.locator("g.node", has_text="add").click()
    expect(page).to_have_url(__import__("re").compile(r"/runs/task-run/"))
    expect(page.locator("#run-state")).to_contain_text("Completed")
    expect(page.locator(".run-list")).to_contain_text("double")  # its upstream task runs


def test_a_log_line_written_by_a_running_flow_appears_live(page):
    name = _unique("live")
    opened, release, finish = threading.Event(), threading.Event(), threading.Event()
    run_ids: list[Any] = []

    @flow(name=name)
    def watched() -> None:
        from praefect import runtime

        run_ids.append(runtime.flow_run.id)
        logger = get_run_logger()
        logger.info("written before the page opened")
        opened.set()
        release.wait(20)
        logger.warning("written while you watch")
        finish.wait(20)

    thread = threading.Thread(target=watched, daemon=True)
    thread.start()
    try:
        assert opened.wait(20)
        page.goto(f"/runs/flow-run/{run_ids[0]}")
        logs = page.locator("#logs")
        expect(page.locator("#run-state")).to_contain_text("Running")
        expect(logs).to_contain_text("written before the page opened")
        expect(page.locator("body.stream-open")).to_have_count(1)
        release.set()
        expect(logs.locator(".log-line.level-warning")).to_contain_text("written while you watch")
        finish.set()
        expect(page.locator("#run-state")).to_contain_text("Completed")
        expect(page.locator("#cancel-form")).to_be_hidden()
        # the level filter hides lines below the chosen level, live ones too
        page.select_option("#log-level", "30")
        expect(logs.get_by_text("written before the page opened")).to_be_hidden()
        expect(logs.get_by_text("written while you watch")).to_be_visible()
    finally:
        release.set()
        finish.set()
        thread.join(20)


def test_cancel_button_cancels_a_scheduled_run(page, server):
    name = _unique("cancel")
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        flow_id = api.post("/flows/", json={"name": name}).json()["id"]
        body = {"flow_id": flow_id, "name": f"{name}-run", "state": {"type": "SCHEDULED"}}
        run = api.post("/flow_runs/", json=body).json()
        page.goto(f"/runs/flow-run/{run['id']}")
        expect(page.locator("#run-state")).to_contain_text("Scheduled")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Cancel run").click()
        expect(page.locator("#run-state")).to_contain_text("Cancelled")
        expect(page.locator(".notice")).to_contain_text("the run is now Cancelled")
        assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "CANCELLED"


def test_new_runs_appear_in_the_runs_list_without_reload(page):
    name = _unique("appear")

    @flow(name=name, flow_run_name=f"{name}-later")
    def later() -> None:
        pass

    page.goto("/runs")
    expect(page.locator("body.stream-open")).to_have_count(1)
    later()
    expect(page.locator("#runs-table")).to_contain_text(f"{name}-later")


def test_theme_toggle_switches_and_remembers_the_theme(page):
    page.goto("/dashboard")
    root = page.locator("html")
    before = root.get_attribute("data-theme")
    page.locator("#theme-toggle").click()
    after = "light" if before == "dark" else "dark"
    expect(root).to_have_attribute("data-theme", after)
    page.reload()
    expect(root).to_have_attribute("data-theme", after)


def test_work_pool_page_shows_its_workers_health(page, server):
    name = _unique("pool")
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        api.post("/work_pools/", json={"name": name, "type": "process"}).raise_for_status()
        beat = {"name": f"{name}-worker", "heartbeat_interval_seconds": 30}
        api.post(f"/work_pools/{name}/workers/heartbeat", json=beat).raise_for_status()
    page.goto("/work-pools")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.locator("h1")).to_have_text(name)
    worker = page.locator("#workers tr", has_text=f"{name}-worker")
    expect(worker.locator(".badge")).to_have_text("Online")


def test_an_automation_is_disabled_and_enabled_from_its_page(page, server):
    name = _unique("automation")
    body = {
        "name": name,
        "trigger": {"expect": ["acme.alarm"]},
        "actions": [{"type": "do-nothing"}],
    }
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        created = api.post("/automations/", json=body).json()
        page.goto("/automations")
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_have_text(name)
        page.locator("#toggle-button").click()
        expect(page.locator(".notice")).to_contain_text("Automation disabled")
        assert api.get(f"/automations/{created['id']}").json()["enabled"] is False
        page.locator("#toggle-button").click()
        expect(page.locator(".notice")).to_contain_text("Automation enabled")
        assert api.get(f"/automations/{created['id']}").json()["enabled"] is True


def test_run_form_refuses_a_bad_value_then_creates_the_run(page, server):
    name = _unique("deploy")
    schema = {
        "type": "object",
        "required": ["day"],
        "properties": {
            "day": {"type": "integer", "title": "day", "position": 0},
            "label": {"type": "string", "title": "label", "default": "x", "position": 1},
        },
    }
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        flow_id = api.post("/flows/", json={"name": name}).json()["id"]
        body = {"name": f"{name}-dep", "flow_id": flow_id, "parameter_openapi_schema": schema}
        deployment = api.post("/deployments/", json=body).json()
    page.goto("/deployments")
    page.get_by_role("link", name=f"{name}-dep", exact=True).click()
    page.fill("#param-day", "monday")
    page.get_by_role("button", name="Run now").click()
    error = page.locator('[data-field="day"] .field-error')
    expect(error).to_have_text("day: 'monday' is not of type 'integer'")
    expect(page.locator("#param-day")).to_have_value("monday")
    page.fill("#param-day", "5")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator(".notice")).to_contain_text(f"of deployment {name}-dep")
    expect(page.locator("#run-state")).to_contain_text("Scheduled")
    expect(page.locator("pre.json")).to_contain_text('"day": 5')
    page.fill("input[type=search][name=q]", f"{name}-dep")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text(f"{name}-dep")
    assert deployment["id"] in page.content()


_EVIL_PAGE = """<!doctype html><title>cute cats</title>
<form id="f" method="post" action="{ui}/ui/flow-runs/{run}/cancel"></form>
<script>
const steps = [{{"praefect.deployments.steps.run_shell_script": {{"script": "touch /tmp/pwned"}}}}];
Promise.allSettled([
  fetch("{api}/deployments/", {{method: "POST", mode: "no-cors",
    headers: {{"Content-Type": "text/plain"}},
    body: JSON.stringify({{name: "evil", flow_id: "{flow}", pull_steps: steps}})}}),
  fetch("{api}/deployments/{deployment}/create_flow_run", {{method: "POST", mode: "no-cors",
    body: new Blob([JSON.stringify({{job_variables: {{command: "touch /tmp/pwned"}}}})])}}),
  fetch("{api}/deployments/{deployment}", {{method: "PATCH",
    headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{pull_steps: steps}})}}),
]).then(() => document.getElementById("f").submit());
</script>"""


def test_a_page_of_another_origin_can_neither_post_the_uis_forms_nor_use_the_api(
    page, server, tmp_path
):
    import http.server

    name = _unique("evil")
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        flow_id = api.post("/flows/", json={"name": name}).json()["id"]
        body = {"flow_id": flow_id, "name": f"{name}-run", "state": {"type": "SCHEDULED"}}
        run = api.post("/flow_runs/", json=body).json()
        deployment = api.post("/deployments/", json={"name": name, "flow_id": flow_id}).json()
        page.goto(f"/runs/flow-run/{run['id']}")  # the browser holds the UI's cookie
        (tmp_path / "index.html").write_text(
            _EVIL_PAGE.format(
                ui=server.url,
                api=server.api_url,
                run=run["id"],
                flow=flow_id,
                deployment=deployment["id"],
            )
        )

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(tmp_path), **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

        with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet) as evil:
            threading.Thread(target=evil.serve_forever, daemon=True).start()
            try:
                page.goto(f"http://127.0.0.1:{evil.server_address[1]}/index.html")
                page.wait_for_url(f"{server.url}/ui/**")  # the form was posted
                expect(page.locator("body")).to_contain_text("Refused")
            finally:
                evil.shutdown()
        assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"
        stored = api.get(f"/deployments/{deployment['id']}").json()
        assert stored["pull_steps"] in (None, [])
        names = [d["name"] for d in api.post("/deployments/filter", json={}).json()]
        assert "evil" not in names
        runs = api.post(
            "/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [stored["id"]]}}}
        ).json()
        assert runs == []


def test_a_paused_flow_is_resumed_through_its_form_and_goes_on_with_the_typed_value(page, server):
    # the approval of docs/interactive.md, answered by a person in the browser
    from praefect import runtime
    from praefect.flow_runs import pause_flow_run
    from praefect.input import RunInput

    class Approval(RunInput):
        approved: bool
        reviewer: str = "on-call"
        copies: int = 1

    name = _unique("approval")
    run_ids: list[Any] = []
    results: list[str] = []

    @flow(name=name)
    def release() -> str:
        run_ids.append(runtime.flow_run.id)
        approval = pause_flow_run(
            wait_for_input=Approval.with_initial_data(description="Release 2.4.0 to production?"),
            timeout=60,
        )
        if not approval.approved:
            return "refused"
        return f"approved by {approval.reviewer}, {approval.copies} copies"

    thread = threading.Thread(target=lambda: results.append(release()), daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=server.api_url) as api:
            for _ in range(500):
                if (
                    run_ids
                    and api.get(f"/flow_runs/{run_ids[0]}").json()["state"]["type"] == "PAUSED"
                ):
                    break
                threading.Event().wait(0.02)
        page.goto(f"/runs/flow-run/{run_ids[0]}")
        form = page.locator("#resume")
        expect(form).to_contain_text("Release 2.4.0 to production?")
        expect(page.locator("#input-reviewer")).to_have_value("on-call")  # the default
        page.check("#input-approved")
        page.fill("#input-reviewer", "ada")
        page.fill("#input-copies", "two")
        form.get_by_role("button", name="Resume").click()
        expect(form.locator(".field-error")).to_contain_text("copies: 'two' is not of type")
        expect(page.locator("#run-state")).to_contain_text("Paused")
        expect(page.locator("#input-reviewer")).to_have_value("ada")  # what was typed is kept
        page.fill("#input-copies", "2")
        form.get_by_role("button", name="Resume").click()
        expect(page.locator(".notice")).to_contain_text("Resumed: the run is now Running")
        thread.join(20)
        assert results == ["approved by ada, 2 copies"]
        page.reload()  # (the live update of the state is test_a_log_line_...'s subject)
        expect(page.locator("#run-state")).to_contain_text("Completed")
        expect(page.locator("#resume")).to_have_count(0)
    finally:
        thread.join(20)


def test_a_runs_artifacts_show_on_its_pages_and_a_table_sorts(page, server):
    from praefect.artifacts import (
        create_markdown_artifact,
        create_progress_artifact,
        create_table_artifact,
    )

    key = _unique("sales").lower()

    @task
    def tabulate() -> None:
        rows = [{"region": "us", "sales": 2}, {"region": "eu", "sales": 10}]
        create_table_artifact(rows, key=key)

    @flow(name=_unique("report"))
    def report() -> None:
        tabulate()
        create_markdown_artifact("# Weekly <script>window.hacked = 1</script>", key=f"{key}-md")
        create_progress_artifact(60.0)

    state = report(return_state=True)
    run_id = state.state_details.flow_run_id
    page.goto(f"/runs/flow-run/{run_id}")
    artifacts = page.locator("#artifacts")
    expect(artifacts.locator("h1")).to_have_text("Weekly <script>window.hacked = 1</script>")
    assert page.evaluate("window.hacked") is None  # shown as text, never run
    expect(artifacts.locator("progress")).to_have_attribute("value", "60.0")
    table = artifacts.locator("table.sortable")
    expect(table.locator("tbody tr").first).to_contain_text("us")
    table.locator("th", has_text="sales").click()
    expect(table.locator("tbody tr").first).to_contain_text("us")  # 2 before 10: numbers
    table.locator("th", has_text="region").click()
    expect(table.locator("tbody tr").first).to_contain_text("eu")
    artifacts.get_by_role("link", name=key, exact=True).click()
    expect(page.locator("h1")).to_have_text(key)
    page.goto("/artifacts")
    expect(page.locator(f'tr[data-key="{key}"]')).to_be_visible()


def test_a_variable_is_created_edited_and_deleted_in_the_browser(page, server):
    name = _unique("var").replace("-", "_")
    page.goto("/variables")
    page.fill("#variable-name", name)
    page.fill("#variable-value", '{"port": 5432}')
    page.fill("#variable-tags", "infra")
    page.locator("#new-variable button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text(f"Created variable '{name}'")
    row = page.locator(f'tr[data-variable="{name}"]')
    expect(row.locator("pre.value")).to_contain_text('"port": 5432')
    row.locator("summary", has_text="Edit").click()
    row.locator("textarea[name=value]").fill("eu-west-1")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_contain_text(f"Saved variable '{name}'")
    expect(page.locator(f'tr[data-variable="{name}"] pre.value')).to_have_text("eu-west-1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'tr[data-variable="{name}"]').get_by_role("button", name="Delete").click()
    expect(page.locator(".notice")).to_contain_text(f"Deleted variable '{name}'")
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        assert api.get(f"/variables/name/{name}").status_code == 404


def test_the_concurrency_page_shows_a_holder_and_resizes_and_resets_its_limit(page, server):
    from praefect.concurrency.sync import concurrency

    name = _unique("db")
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        api.post("/v2/concurrency_limits/", json={"name": name, "limit": 2}).raise_for_status()
        with concurrency(name, lease_duration=60):
            page.goto("/concurrency")
            row = page.locator(f'tr[data-limit="{name}"]')
            expect(row.locator(".slots-used")).to_have_text("1 / 2")
            expect(row.locator(".holders")).to_contain_text(f":{os.getpid()} since")
            row.get_by_label(f"Limit of {name}").fill("5")
            row.get_by_role("button", name="Set", exact=True).click()
            expect(page.locator(".notice")).to_contain_text("The limit is now 5")
            assert api.get(f"/v2/concurrency_limits/{name}").json()["limit"] == 5
            page.locator(f'tr[data-limit="{name}"]').get_by_role("button", name="Reset").click()
            expect(page.locator(".notice")).to_contain_text("Every slot of the limit was freed")
            expect(page.locator(f'tr[data-limit="{name}"] .slots-used')).to_have_text("0 / 5")


def test_an_event_emitted_in_a_flow_is_found_in_the_feed_and_links_to_its_run(page, server):
    from praefect.events import emit_event

    kind = _unique("acme.parcel").replace("-", "_")

    @flow(name=_unique("shipping"))
    def shipping() -> None:
        emit_event(f"{kind}.shipped", resource={"prefect.resource.id": "acme.parcel.7"})

    shipping()
    page.goto("/events")
    page.locator("input[name=prefix]").fill(f"{kind}.")
    page.locator("#events-filter button[type=submit]").click()
    expect(page.locator("#events-total")).to_have_text("1 event")
    page.get_by_role("link", name=f"{kind}.shipped").click()
    expect(page.locator("h1")).to_have_text(f"{kind}.shipped")
    page.locator("#related-resources a").first.click()
    expect(page.locator("#run-events")).to_contain_text(f"{kind}.shipped")


def test_task_workers_page_shows_a_running_worker_and_its_task(page):
    import asyncio

    from praefect.task_worker import TaskWorker

    worker = TaskWorker(double, limit=2)
    thread = threading.Thread(target=asyncio.run, args=(worker.start(),), daemon=True)
    thread.start()
    try:
        assert double.delay(21).result(timeout=30) == 42
        page.goto("/dashboard")
        page.get_by_role("link", name="Task workers").click()
        row = page.locator("#task-workers tr", has_text=worker.client_id)
        expect(row).to_contain_text("double")
        expect(page.locator("#background-tasks tr", has_text="double")).to_be_visible()
    finally:
        # Playwright's loop runs in this thread: stop the worker from another
        stopper = threading.Thread(target=asyncio.run, args=(worker.stop(),))
        stopper.start()
        stopper.join(timeout=10)
        thread.join(timeout=10)
