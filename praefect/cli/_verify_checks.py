"""The invariants ``praefect verify`` checks, from the store's records and the evidence its flows
left on disk (see ``praefect.cli._verify_workload``)."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Check:
    """One invariant's verdict."""

    invariant: str
    ok: bool
    detail: str


@dataclass
class Process:
    """One flow process of the workload (and the retry of its run, if any)."""

    kind: str
    key: str
    popen: subprocess.Popen[bytes]
    log: Path
    killed_at: float | None = None
    flow_run_id: uuid.UUID | None = None
    retry: subprocess.Popen[bytes] | None = None


@dataclass
class Workload:
    """What verify knows of its workload, for the checks."""

    directory: Path
    namespace: str
    resume_seconds: float
    processes: list[Process] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    create_errors: list[str] = field(default_factory=list)
    deployment_id: uuid.UUID | None = None
    crashed_after: dict[uuid.UUID, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_S, _P, _R = "SCHEDULED", "PENDING", "RUNNING"
_DONE = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
_NEXT: dict[str | None, frozenset[str]] = {
    None: frozenset({_S, _P, _R, *_DONE}),
    # Scheduled (Late, AwaitingRetry, AwaitingConcurrencySlot) -> itself, a start, or an end.
    _S: frozenset({_S, _P, _R, "CANCELLING", "PAUSED", *_DONE}),
    # Pending -> Running; Completed when cached; Scheduled when a slot or a retry is awaited.
    _P: frozenset({_S, _R, "CANCELLING", "PAUSED", *_DONE}),
    # Running -> an end, a pause, a cancel or a retry; never Running again without a step between.
    _R: frozenset({_S, "CANCELLING", "PAUSED", *_DONE}),
    "PAUSED": frozenset({_S, _P, _R, "CANCELLING", *_DONE}),
    "CANCELLING": frozenset({"CANCELLED", "CRASHED", "COMPLETED", "FAILED"}),
    # A finished run only starts again through a retry (AwaitingRetry, Scheduled).
    **{done: frozenset({_S, _P}) for done in _DONE},
}
"""The transitions a run's history may take (``praefect.orchestration.rules`` refuses the
others: a terminal run is only rescheduled, Running only follows a Scheduled or Pending step)."""


def invalid_step(history: list[Any]) -> str | None:
    """The first transition of ``history`` (states, oldest first) that is not allowed, or None.

    >>> from praefect.schemas.states import State
    >>> invalid_step([State("PENDING"), State("RUNNING"), State("COMPLETED")]) is None
    True
    >>> invalid_step([State("PENDING"), State("COMPLETED"), State("RUNNING")])
    'Completed -> Running'
    """
    previous: Any = None
    for state in history:
        kind = state.type.value
        if kind not in _NEXT[previous.type.value if previous is not None else None]:
            before = previous.name if previous is not None else "(none)"
            return f"{before} -> {state.name}"
        previous = state
    return None


def namespace_runs(client: Any, namespace: str) -> list[Any]:
    """Every flow run of verify's flows (``<namespace>-steps``, ``<namespace>-killed``)."""
    from praefect.schemas import filters

    names = [f"{namespace}-steps", f"{namespace}-killed"]
    flow_filter = filters.FlowFilter(name=filters.FlowFilterName(any_=names))
    return client.read_flow_runs(flow_filter=flow_filter, limit=10_000)


def check_all(client: Any, run: Workload) -> list[Check]:
    runs = [r for r in namespace_runs(client, run.namespace) if r.deployment_id is None]
    return [
        _terminate(run, runs),
        _crash_and_resume(run),
        _no_rerun(run),
        _no_overlap(run),
        _valid_histories(client, runs),
        _nothing_lost(client, run),
        _idempotent(client, run),
    ]


def _terminate(run: Workload, runs: list[Any]) -> Check:

    started = len(run.processes)
    done = [r for r in runs if r.state is not None and r.state.type.value in _DONE]
    completed = [r for r in done if r.state.type.value == "COMPLETED"]
    open_runs = [f"{r.name} ({r.state.name if r.state else 'no state'})" for r in runs]
    open_runs = [text for r, text in zip(runs, open_runs, strict=True) if r not in done]
    ok = len(runs) == started and len(completed) == started
    detail = f"{len(completed)} of {started} runs Completed, {len(done)} finished"
    if len(runs) != started:
        detail += f"; {len(runs)} runs recorded for {started} flows started"
    if open_runs:
        detail += f"; not finished: {', '.join(open_runs[:5])}"
    failed = [p.key for p in run.processes if p.popen.returncode not in (0, -9)]
    failed += [p.key for p in run.processes if p.retry is not None and p.retry.returncode != 0]
    if failed:
        ok = False
        detail += f"; processes that failed: {', '.join(failed)} (logs: {_tail(run, failed[0])})"
    detail += "".join(f"; {note}" for note in run.notes)
    return Check("Every submitted run terminates", ok, detail)


def _crash_and_resume(run: Workload) -> Check:

    killed = [p for p in run.processes if p.kind == "killed"]
    problems = []
    times = []
    for process in killed:
        if process.flow_run_id is None:
            problems.append(f"{process.key}: never killed")
            continue
        after = run.crashed_after.get(process.flow_run_id)
        if after is None:
            problems.append(f"{process.key}: not marked Crashed")
        else:
            times.append(after)
        if process.retry is None or process.retry.returncode != 0:
            problems.append(f"{process.key}: the retry did not complete")
    detail = "; ".join(problems) or (
        f"{len(killed)} killed, marked Crashed within {max(times, default=0):.1f} s, "
        "retried to Completed"
    )
    return Check("A killed run is marked Crashed and resumes", not problems, detail)


def _counts(run: Workload) -> dict[str, int]:
    folder = run.directory / "counters"
    if not folder.exists():
        return {}
    return {path.name: len(path.read_text().splitlines()) for path in folder.iterdir()}


def _no_rerun(run: Workload) -> Check:

    counts = _counts(run)
    expected: dict[str, int] = {}
    for process in run.processes:
        if process.kind == "steps":
            expected.update({k: 1 for k in counts if k.startswith(f"{process.key}-save-")})
            expected[f"{process.key}-flaky"] = 2
        elif process.flow_run_id is not None:
            expected[f"{process.key}-before"] = 1
            expected[f"{process.key}-block"] = 2
    wrong = [
        f"{step} ran {counts.get(step, 0)}x (expected {times})"
        for step, times in sorted(expected.items())
        if counts.get(step, 0) > times
    ]
    detail = "; ".join(wrong[:5]) or f"{len(expected)} persisted steps, none executed again"
    return Check("No step with a recorded result re-runs", not wrong, detail)


def _no_overlap(run: Workload) -> Check:

    killed_at = {str(p.flow_run_id): p.killed_at for p in run.processes if p.flow_run_id}
    folder = run.directory / "attempts"
    overlapping = []
    attempts = 0
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        spans: dict[str, list[float]] = {}
        for line in path.read_text().splitlines():
            event, pid, when = line.split()
            spans.setdefault(pid, []).append(float(when))
        intervals = []
        for pid, times in spans.items():
            # Starts and ends alternate within one process; a killed attempt ends at its kill.
            for start, end in zip(times[::2], [*times[1::2], None], strict=False):
                intervals.append((start, end or killed_at.get(path.name) or float("inf"), pid))
        intervals.sort()
        attempts += len(intervals)
        for (_, end, pid), (start, _, other) in zip(intervals, intervals[1:], strict=False):
            if start < end:
                overlapping.append(f"run {path.name}: processes {pid} and {other}")
    detail = "; ".join(overlapping[:3]) or f"{attempts} attempts, never two of a run at once"
    return Check("No run executed by two attempts at once", not overlapping, detail)


def _valid_histories(client: Any, runs: list[Any]) -> Check:
    from praefect.schemas import filters

    problems = []
    checked = 0
    for flow_run in runs:
        histories = [(f"flow run {flow_run.name}", flow_run, client.read_flow_run_states)]
        task_filter = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[flow_run.id]))
        for task_run in client.read_task_runs(flow_run_filter=task_filter, limit=10_000):
            histories.append((f"task run {task_run.name}", task_run, client.read_task_run_states))
        for what, record, read in histories:
            history = read(record.id)
            checked += 1
            step = invalid_step(history)
            if step is not None:
                problems.append(f"{what}: {step}")
            elif history and record.state is not None and record.state.name != history[-1].name:
                problems.append(
                    f"{what}: current state {record.state.name} but newest in history "
                    f"{history[-1].name}"
                )
    detail = "; ".join(problems[:3]) or f"{checked} histories, each a valid path"
    if len(problems) > 3:
        detail += f" (and {len(problems) - 3} more)"
    return Check("Each state history is a valid path", not problems, detail)


def _nothing_lost(client: Any, run: Workload) -> Check:
    """A process that exited 0 had every task run it executed acknowledged: all must be there."""
    from praefect.schemas import filters

    finished = {str(p.popen.pid) for p in run.processes if p.popen.returncode == 0}
    finished |= {str(p.retry.pid) for p in run.processes if p.retry and p.retry.returncode == 0}
    folder = run.directory / "task_runs"
    expected: set[uuid.UUID] = set()
    for path in folder.iterdir() if folder.exists() else []:
        for line in path.read_text().splitlines():
            pid, task_run_id = line.split()
            if pid in finished:
                expected.add(uuid.UUID(task_run_id))
    found: set[uuid.UUID] = set()
    ids = sorted(expected)
    for i in range(0, len(ids), 500):
        task_filter = filters.TaskRunFilter(id=filters.TaskRunFilterId(any_=ids[i : i + 500]))
        found.update(t.id for t in client.read_task_runs(task_run_filter=task_filter, limit=500))
    lost = len(expected - found)
    detail = f"{len(found)} of {len(expected)} task runs of finished processes recorded"
    return Check("Nothing acknowledged is lost", not lost and bool(expected), detail)


def _idempotent(client: Any, run: Workload) -> Check:
    from praefect.schemas import filters

    distinct = set(run.created_ids)
    deployment_filter = filters.FlowRunFilter(
        deployment_id=filters.FlowRunFilterDeploymentId(any_=[run.deployment_id])
    )
    stored = client.count_flow_runs(flow_run_filter=deployment_filter)
    ok = not run.create_errors and len(distinct) == 1 and stored == 1
    detail = (
        f"{len(run.created_ids)} concurrent creates, {len(distinct)} distinct run id(s), "
        f"{stored} run(s) stored"
    )
    if run.create_errors:
        detail += f"; {len(run.create_errors)} error(s): {run.create_errors[0]}"
    return Check("One idempotency key gives one run", ok, detail)


def _tail(run: Workload, key: str) -> str:
    log: Path = run.directory / "logs" / f"{key}.log"
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return lines[-1][-200:] if lines else "empty"
