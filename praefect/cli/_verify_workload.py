"""The flows ``praefect verify`` runs, each in a process of its own, and the evidence they leave.

Run as ``python -m praefect.cli._verify_workload steps|killed KEY [N]`` with
``PRAEFECT_VERIFY_DIR`` (where the evidence goes) and ``PRAEFECT_VERIFY_NAMESPACE`` (the prefix of
the flows' names) in the environment. Every execution of a step's body appends a line to
``counters/<step>``, so a step that runs twice shows it whatever the database says; every attempt
of a flow run writes ``start``/``end`` lines to ``attempts/<flow run id>``; every task run that
executed writes its id to ``task_runs/<flow run id>``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from praefect import flow, runtime, task
from praefect.schemas.states import State

_DIR = Path(os.environ.get("PRAEFECT_VERIFY_DIR", "."))
_NAMESPACE = os.environ.get("PRAEFECT_VERIFY_NAMESPACE", "praefect-verify")


def _append(folder: str, name: str, line: str) -> Path:
    path = _DIR / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    # One small O_APPEND write: lines from several processes never interleave.
    with open(path, "a") as fh:
        fh.write(line + "\n")
    return path


def _count(step: str) -> int:
    """Record one execution of ``step``; return how many there were, this one included."""
    path = _append("counters", step, str(os.getpid()))
    return len(path.read_text().splitlines())


def _executed() -> None:
    _append("task_runs", str(runtime.flow_run.id), f"{os.getpid()} {runtime.task_run.id}")


def _attempt(event: str) -> None:
    _append("attempts", str(runtime.flow_run.id), f"{event} {os.getpid()} {time.time()}")


@task(persist_result=True)
def save(key: str, i: int) -> int:
    _executed()
    _count(f"{key}-save-{i}")
    return i


@task(persist_result=True, retries=2, retry_delay_seconds=0)
def flaky(key: str) -> str:
    _executed()
    if _count(f"{key}-flaky") == 1:
        raise RuntimeError("praefect verify: the first attempt of this step fails on purpose")
    return "ok"


@flow(name=f"{_NAMESPACE}-steps", retries=1, retry_delay_seconds=0, persist_result=True)
def steps(key: str, n: int = 5) -> int:
    """Persisted steps, a step that fails once (task retries), and a body that fails once
    after them (a flow retry: the persisted steps must come back Cached, not run again)."""
    _attempt("start")
    try:
        total = sum(save(key, i) for i in range(n))
        flaky(key)
        if _count(f"{key}-flow") == 1:
            raise RuntimeError("praefect verify: the first attempt of this flow fails on purpose")
        return total
    finally:
        _attempt("end")


@task(persist_result=True)
def before(key: str) -> int:
    _executed()
    _count(f"{key}-before")
    return 1


@task(persist_result=True)
def block(key: str) -> int:
    _executed()
    if _count(f"{key}-block") == 1:
        _append("ready", key, str(runtime.flow_run.id))
        time.sleep(300)  # praefect verify kills the process here
    # The resumed attempt stays alive across a crash-detection pass, which must leave it alone.
    time.sleep(float(os.environ.get("PRAEFECT_VERIFY_RESUME_SECONDS", "0")))
    return 2


@flow(name=f"{_NAMESPACE}-killed", persist_result=True)
def killed(key: str) -> int:
    """A persisted step, then one that blocks until ``praefect verify`` kills the process; the
    retry must resume after the first step."""
    _attempt("start")
    try:
        return before(key) + block(key)
    finally:
        _attempt("end")


def _final_state(run: Callable[..., Any], *args: object) -> State:
    # return_state is not part of a flow's typed signature (its parameters are the function's)
    state = run(*args, return_state=True)
    if not isinstance(state, State):
        raise TypeError(f"{run!r} returned {state!r}, not its final state.")
    return state


def main(argv: list[str]) -> int:
    which, key = argv[0], argv[1]
    if which == "steps":
        state = _final_state(steps, key, int(argv[2]) if len(argv) > 2 else 5)
    else:
        state = _final_state(killed, key)
    return 0 if state.is_completed() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
