"""``praefect verify``: check that an install keeps orchestration's promises.

It runs a small workload against the configured store (embedded, or the server at ``--api-url``)
in processes of its own: flows of persisted steps with task and flow retries, a flow killed with
``SIGKILL`` mid-task and then retried, and concurrent creates of one deployment run with one
idempotency key. Then it checks invariants from the database's records and from the evidence
the flows left on disk (``praefect.cli._verify_workload``), prints a table, removes what it
created and exits 1 if any invariant failed.

Everything it creates is named ``praefect-verify-<8 hex digits>-...``; the deployment has no work
pool, so no worker of the install picks its run up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from praefect.cli import _common, _verify_checks


@dataclass
class _Plan:
    steps_flows: int
    steps_per_flow: int
    killed_flows: int
    creators: int
    resume_seconds: float
    """How long the resumed attempt of a killed run lives: past one pass of the server's crash
    detection (every 5 s by default), which must not take it for dead."""
    deadline: float
    """Seconds any one stage may take before verify gives up on it."""


QUICK = _Plan(
    steps_flows=3, steps_per_flow=5, killed_flows=1, creators=8, resume_seconds=6, deadline=45
)
FULL = _Plan(
    steps_flows=8, steps_per_flow=25, killed_flows=3, creators=32, resume_seconds=12, deadline=120
)


def verify(
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            help="Check the server at this URL (e.g. http://127.0.0.1:4200/api) instead of the "
            "configured store.",
            show_default=False,
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="A smaller workload: well under a minute.")
    ] = False,
) -> None:
    """Run a small workload against this install and check what orchestration promises: every
    run ends, no persisted step runs twice, no run has two attempts at once, every state history
    is a valid path, nothing acknowledged is lost, one idempotency key gives one run. Kills only
    processes it started; removes what it created.

    Example: praefect verify --quick --api-url http://127.0.0.1:4200/api
    """
    from praefect import settings

    plan = QUICK if quick else FULL
    updates: dict[str, Any] = {"api_url": api_url} if api_url else {}
    with settings.temporary_settings(updates, process_wide=True):
        checks = run_checks(plan, api_url)
    _print_table(checks)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


def run_checks(plan: _Plan, api_url: str | None) -> list[_verify_checks.Check]:
    """Run the workload of ``plan``, check the invariants, clean up; return the verdicts."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    namespace = f"praefect-verify-{uuid.uuid4().hex[:8]}"
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with _common.sync_client() as client, Progress(*columns, console=_common.err_console()) as bar:
        problem = _unreachable(api_url) if api_url else client.api_healthcheck()
        if problem is not None:
            where = api_url or "the configured store"
            _common.exit_with_error(f"Cannot reach {where}: {problem}")
        directory = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
        run = _verify_checks.Workload(directory, namespace, plan.resume_seconds)
        try:
            with _stage(bar, f"Workload {namespace}: flows with retries, persisted steps"):
                _start_flows(run, plan, api_url)
            with _stage(bar, "Concurrent creates with one idempotency key"):
                _create_concurrently(client, run, plan)
            with _stage(bar, "kill -9 of a flow mid-task"):
                _kill_when_ready(run, plan)
            with _stage(bar, "Waiting for every flow to finish"):
                _wait_all(run, plan)
            with _stage(bar, "Retrying the killed runs"):
                _retry_killed(client, run, plan, api_url)
            with _stage(bar, "Checking invariants"):
                checks = _verify_checks.check_all(client, run)
        finally:
            with _stage(bar, "Cleaning up"):
                _clean_up(client, run)
    return checks


def _unreachable(api_url: str) -> Exception | None:
    """Why the server does not answer its health check, or None. Asked once, with a short
    timeout: the client itself would keep retrying a server that is down (for a restart)."""
    import httpx

    try:
        httpx.get(f"{api_url.rstrip('/')}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        return exc
    return None


@contextlib.contextmanager
def _stage(bar: Any, description: str) -> Iterator[None]:
    task = bar.add_task(description, total=1)
    try:
        yield
    finally:
        bar.update(task, completed=1)


# -- the workload ------------------------------------------------------------------------------


def _environment(run: _verify_checks.Workload, api_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PRAEFECT_VERIFY_DIR"] = str(run.directory)
    env["PRAEFECT_VERIFY_NAMESPACE"] = run.namespace
    env["PRAEFECT_VERIFY_RESUME_SECONDS"] = str(run.resume_seconds)
    # Persisted results go with the rest of verify's files, and go away with them.
    env["PRAEFECT_LOCAL_STORAGE_PATH"] = str(run.directory / "storage")
    if api_url:
        env["PRAEFECT_API_URL"] = api_url
    return env


def _spawn(
    run: _verify_checks.Workload, args: list[str], log: Path, api_url: str | None
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            env=_environment(run, api_url),
            cwd=run.directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C of verify is not delivered to them mid-check
        )


def _start_flows(run: _verify_checks.Workload, plan: _Plan, api_url: str | None) -> None:
    module = "praefect.cli._verify_workload"
    kinds = [("steps", plan.steps_flows), ("killed", plan.killed_flows)]
    for kind, count in kinds:
        for i in range(count):
            key = f"{kind}{i}"
            log = run.directory / "logs" / f"{key}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            args = ["-m", module, kind, key]
            if kind == "steps":
                args.append(str(plan.steps_per_flow))
            run.processes.append(
                _verify_checks.Process(kind, key, _spawn(run, args, log, api_url), log)
            )


def _create_concurrently(client: Any, run: _verify_checks.Workload, plan: _Plan) -> None:
    import datetime as dt

    from praefect.schemas.states import State, StateType

    flow_id = client.create_flow_from_name(f"{run.namespace}-steps")
    run.deployment_id = client.create_deployment(
        flow_id, name=run.namespace, entrypoint="praefect.cli._verify_workload:steps"
    )
    key = f"{run.namespace}-idempotency"
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    barrier = threading.Barrier(plan.creators)

    def create() -> None:
        try:
            barrier.wait(10)
            made = client.create_flow_run_from_deployment(
                run.deployment_id,
                idempotency_key=key,
                state=State(StateType.SCHEDULED, state_details={"scheduled_time": far}),
            )
            run.created_ids.append(str(made.id))
        except Exception as exc:  # reported by the check, with the others
            run.create_errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=create) for _ in range(plan.creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(plan.deadline)


def _kill_when_ready(run: _verify_checks.Workload, plan: _Plan) -> None:
    deadline = time.monotonic() + plan.deadline
    waiting = [p for p in run.processes if p.kind == "killed"]
    while waiting and time.monotonic() < deadline:
        for process in list(waiting):
            ready = run.directory / "ready" / process.key
            if ready.exists() and ready.read_text().strip():
                process.flow_run_id = uuid.UUID(ready.read_text().split()[0])
                process.killed_at = time.time()
                os.kill(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
                waiting.remove(process)
            elif process.popen.poll() is not None:
                waiting.remove(process)  # it ended on its own: reported by the checks
        time.sleep(0.05)
    for process in waiting:
        run.notes.append(f"flow {process.key} never reached its blocking step")


def _wait_all(run: _verify_checks.Workload, plan: _Plan) -> None:
    deadline = time.monotonic() + plan.deadline
    for process in run.processes:
        _wait(process.popen, deadline)


def _wait(popen: subprocess.Popen[bytes], deadline: float) -> None:
    try:
        popen.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


def _retry_killed(
    client: Any, run: _verify_checks.Workload, plan: _Plan, api_url: str | None
) -> None:
    """Wait for the killed runs to be marked Crashed, then ``praefect flow-run retry`` them all
    at once, running the crash check meanwhile."""
    sweep = _crash_sweep(client)
    killed = [
        (p.flow_run_id, p)
        for p in run.processes
        if p.flow_run_id is not None and p.killed_at is not None
    ]
    waiting = list(killed)
    deadline = time.monotonic() + plan.deadline
    while waiting and time.monotonic() < deadline:
        sweep()
        for flow_run_id, process in list(waiting):
            state = client.read_flow_run(flow_run_id).state
            if state is not None and state.type.value == "CRASHED":
                run.crashed_after[flow_run_id] = time.time() - (process.killed_at or 0)
                waiting.remove((flow_run_id, process))
        time.sleep(0.2)
    for flow_run_id, process in killed:
        if flow_run_id in run.crashed_after:
            args = ["-m", "praefect.cli", "flow-run", "retry", str(flow_run_id)]
            process.retry = _spawn(run, args, process.log, api_url)
    retries = [p.retry for _, p in killed if p.retry is not None]
    deadline = time.monotonic() + plan.deadline
    while any(r.poll() is None for r in retries) and time.monotonic() < deadline:
        sweep()  # as any other praefect process opening the store would, meanwhile
        time.sleep(0.5)
    for retry in retries:
        _wait(retry, deadline)


def _crash_sweep(client: Any) -> Callable[[], Any]:
    """In embedded mode nothing else looks for dead processes while verify waits (a server's
    CrashedRuns service does): the store's own sweep, run on demand."""
    sweep = getattr(getattr(client, "_client", None), "crash_dead_runs", None)
    return sweep if callable(sweep) else (lambda: None)


# -- cleaning up -------------------------------------------------------------------------------


def _clean_up(client: Any, run: _verify_checks.Workload) -> None:
    for process in run.processes:
        for popen in (process.popen, process.retry):
            if popen is not None and popen.poll() is None:
                popen.kill()
                popen.wait()
    with contextlib.suppress(Exception):
        for flow_run in _verify_checks.namespace_runs(client, run.namespace):
            with contextlib.suppress(Exception):
                client.delete_flow_run(flow_run.id)
    if run.deployment_id is not None:
        with contextlib.suppress(Exception):
            client.delete_deployment(run.deployment_id)
    for suffix in ("steps", "killed"):
        with contextlib.suppress(Exception):
            client.delete_flow(client.read_flow_by_name(f"{run.namespace}-{suffix}").id)
    shutil.rmtree(run.directory, ignore_errors=True)


def _print_table(checks: list[_verify_checks.Check]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="praefect verify")
    table.add_column("Invariant")
    table.add_column("Result")
    table.add_column("Detail", overflow="fold")
    for check in checks:
        result = Text("PASS", style="green") if check.ok else Text("FAIL", style="bold red")
        table.add_row(check.invariant, result, check.detail)
    _common.console().print(table)
    failed = sum(not check.ok for check in checks)
    if failed:
        _common.console().print(Text(f"{failed} invariant(s) failed.", style="bold red"))
    else:
        _common.console().print(Text("All invariants hold.", style="green"))
