"""The checks of ``praefect verify`` catch what they look for: fed the evidence of a step that
ran twice, of two overlapping attempts or of an invalid history, they fail and say which."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from praefect.cli import _verify_checks
from praefect.schemas.states import State


def _workload(tmp_path: Path) -> _verify_checks.Workload:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    work = _verify_checks.Workload(tmp_path, "praefect-verify-test", 0)
    work.processes.append(_verify_checks.Process("steps", "steps0", done, tmp_path / "log"))
    return work


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))


def test_a_persisted_step_that_ran_twice_fails_the_check(tmp_path: Path) -> None:
    work = _workload(tmp_path)
    _write(tmp_path / "counters" / "steps0-save-0", ["11"])
    _write(tmp_path / "counters" / "steps0-flaky", ["11", "11"])
    assert _verify_checks._no_rerun(work).ok
    _write(tmp_path / "counters" / "steps0-save-1", ["11", "12"])
    check = _verify_checks._no_rerun(work)
    assert not check.ok
    assert check.detail == "steps0-save-1 ran 2x (expected 1)"


def test_two_attempts_of_a_run_at_once_fail_the_check(tmp_path: Path) -> None:
    work = _workload(tmp_path)
    run_id = str(uuid.uuid4())
    _write(tmp_path / "attempts" / run_id, ["start 11 1.0", "end 11 2.0", "start 12 2.5"])
    assert _verify_checks._no_overlap(work).ok
    _write(
        tmp_path / "attempts" / run_id,
        ["start 11 1.0", "start 12 1.5", "end 12 2.0", "end 11 3.0"],
    )
    check = _verify_checks._no_overlap(work)
    assert not check.ok
    assert check.detail == f"run {run_id}: processes 11 and 12"


def test_invalid_paths_through_the_state_machine_are_named() -> None:
    def path(*kinds: str) -> str | None:
        return _verify_checks.invalid_step([State(kind) for kind in kinds])

    assert path("PENDING", "RUNNING", "SCHEDULED", "RUNNING", "COMPLETED") is None  # a retry
    assert path("PENDING", "RUNNING", "CRASHED", "SCHEDULED", "RUNNING", "COMPLETED") is None
    assert path("PENDING", "RUNNING", "RUNNING") == "Running -> Running"
    assert path("PENDING", "RUNNING", "CRASHED", "COMPLETED") == "Crashed -> Completed"
    assert path("PENDING", "COMPLETED", "RUNNING") == "Completed -> Running"
