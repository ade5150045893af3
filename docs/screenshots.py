"""Take the screenshots of the web UI shown in the README and docs/ui.md (``make screenshots``).

Runs the examples into a throw-away praefect home (plus one flow left running and one late
scheduled run, so every panel has something to show), serves that database on a free port and
photographs each page with Playwright driving Debian's Chromium. Writes ``docs/img/*.png``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_RUNNING = """
import time
from praefect import flow, get_run_logger, task

@task
def step(i: int) -> int:
    time.sleep(0.2)
    return i

@flow(name="nightly-backfill")
def backfill() -> None:
    logger = get_run_logger()
    for i in range(600):
        step(i)
        logger.info("Backfilled partition %d of 600", i + 1)

backfill()
"""


def _seed(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PRAEFECT_HOME": str(home)}
    env.pop("PRAEFECT_API_URL", None)
    for example in ("hello_flow.py", "pipeline_dag.py", "pipeline_dag.py"):
        subprocess.run(
            [sys.executable, str(ROOT / "examples" / example)],
            env=env,
            check=True,
            capture_output=True,
        )
    running = subprocess.Popen(
        [sys.executable, "-c", _RUNNING],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)  # a few partitions in, so its page has a graph and logs
    return running


def _late_run(api: httpx.Client) -> None:
    flow_id = api.post("/flows/", json={"name": "hourly-report"}).json()["id"]
    due = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)).isoformat()
    state = {"type": "SCHEDULED", "state_details": {"scheduled_time": due}}
    api.post("/flow_runs/", json={"flow_id": flow_id, "name": "hourly-report-1400", "state": state})


def _deployment(api: httpx.Client) -> dict:
    """A work pool with a worker, and a deployment of the example pipeline on it."""
    from praefect.utilities.parameter_schema import parameter_schema

    def sensor_pipeline(batch: int = 1, fail: bool = False) -> str: ...

    api.post("/work_pools/", json={"name": "local-processes", "type": "process"})
    beat = {"name": "worker-laptop-01", "heartbeat_interval_seconds": 30}
    api.post("/work_pools/local-processes/workers/heartbeat", json=beat)
    flow_id = api.post("/flows/", json={"name": "sensor-pipeline"}).json()["id"]
    body = {
        "name": "hourly-sensors",
        "flow_id": flow_id,
        "description": "Fetch, clean and score the sensor batches every hour.",
        "parameter_openapi_schema": parameter_schema(sensor_pipeline),
        "parameters": {"batch": 1},
        "schedules": [{"schedule": {"interval": 3600, "timezone": "UTC"}}],
        "work_pool_name": "local-processes",
        "entrypoint": "examples/pipeline_dag.py:sensor_pipeline",
        "tags": ["sensors"],
    }
    return api.post("/deployments/", json=body).json()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="praefect-shots-") as tmp:
        home = Path(tmp)
        os.environ["PRAEFECT_HOME"] = str(home)
        from praefect.server.background import BackgroundServer

        running = _seed(home)
        try:
            url = f"sqlite:///{home / 'praefect.db'}"
            with (
                BackgroundServer(database_url=url) as server,
                httpx.Client(base_url=server.api_url, timeout=10) as api,
                sync_playwright() as playwright,
            ):
                _late_run(api)
                deployment = _deployment(api)
                runs = api.post("/flow_runs/filter", json={"limit": 50}).json()
                failed = next(r for r in runs if r["state_type"] == "FAILED")
                live = next(r for r in runs if r["state_type"] == "RUNNING")
                tasks = api.post(
                    "/task_runs/filter",
                    json={"task_runs": {"flow_run_id": {"any_": [failed["id"]]}}},
                ).json()
                bad_task = next(t for t in tasks if t["state_type"] == "FAILED")
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                pages = [
                    ("dashboard", "/dashboard", "dark"),
                    ("runs", "/runs", "dark"),
                    ("flow-run", f"/runs/flow-run/{failed['id']}", "dark"),
                    ("flow-run-live", f"/runs/flow-run/{live['id']}", "dark"),
                    ("task-run", f"/runs/task-run/{bad_task['id']}", "dark"),
                    ("flows", "/flows", "dark"),
                    ("deployments", "/deployments", "dark"),
                    ("work-pool", "/work-pools/work-pool/local-processes", "dark"),
                    ("flow", f"/flows/flow/{failed['flow_id']}", "dark"),
                    ("dashboard-light", "/dashboard", "light"),
                    ("flow-run-light", f"/runs/flow-run/{failed['id']}", "light"),
                ]
                for name, path, theme in pages:
                    context = browser.new_context(
                        base_url=server.url,
                        viewport={"width": 1360, "height": 900},
                        color_scheme=theme,
                    )
                    page = context.new_page()
                    page.goto(path)
                    page.wait_for_timeout(1500)  # charts drawn, graph laid out (SSE stays open)
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    context.close()
                    print(f"docs/img/{name}.png  {path}")
                # the run form refusing a bad value, with the field's message
                context = browser.new_context(
                    base_url=server.url,
                    viewport={"width": 1360, "height": 900},
                    color_scheme="dark",
                )
                page = context.new_page()
                page.goto(f"/deployments/deployment/{deployment['id']}")
                page.fill("#param-batch", "tenth")
                page.get_by_role("button", name="Run now").click()
                page.locator("#run").scroll_into_view_if_needed()
                page.wait_for_timeout(500)
                page.screenshot(path=str(OUT / "deployment.png"))
                print("docs/img/deployment.png  (run form with a bad value)")
                context.close()
                browser.close()
        finally:
            running.kill()
            running.wait()


if __name__ == "__main__":
    main()
