"""Two worker processes racing for the same 100 runs: each run is claimed (Pending) by exactly
one of them and runs exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from praefect import database, orchestration

HERE = Path(__file__).resolve().parent


def test_two_workers_run_each_of_100_runs_exactly_once(
    new_pool, new_deployment_run, engine, cli_env, use_database, tmp_path
):
    pool = new_pool("race")
    run_ids = {new_deployment_run(pool, "quick", {"n": i}) for i in range(100)}
    env = {**cli_env, "PRAEFECT_DATABASE_URL": use_database}
    outs = [tmp_path / f"worker-{i}.txt" for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(HERE / "claiming_worker.py"), "race", str(out)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr

    started = [line for out in outs if out.exists() for line in out.read_text().split()]
    assert len(started) == 100, "a run was started twice (or not at all)"
    assert {str(run_id) for run_id in run_ids} == set(started)
    assert all(out.exists() for out in outs), "one worker claimed everything: no race happened"
    runs = database.read(engine, lambda conn: orchestration.flow_runs.read_many(conn))
    assert {(run["state_type"], run["run_count"]) for run in runs} == {("COMPLETED", 1)}
    for run_id in list(run_ids)[:5]:
        history = database.read(
            engine, lambda conn, r=run_id: orchestration.flow_runs.read_states(conn, r)
        )
        assert [s.name for s in history].count("Pending") == 1
