"""T7: scheduler replicas racing and restarting never insert the same (deployment, scheduled
time) twice.

Three scheduler processes race on one PostgreSQL database (the replicas' case); each starts a scheduler (a new runner, as after
a restart) at the schedule's first time, 7 minutes later and after 45 minutes of downtime (with
catch-up), and runs three passes each time. The runs of the deployment form one run per
scheduled time, all on the schedule's grid.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import praefect
from praefect.schedules import Interval
from praefect.schemas import filters

EVERY = dt.timedelta(minutes=5)

SCRIPT = textwrap.dedent(
    """
    import datetime as dt
    import sys

    from praefect.server import services
    from praefect.utilities import clock

    anchor = dt.datetime.fromisoformat(sys.argv[1])
    for minutes in (0, 7, 45):
        at = clock.ManualClock(anchor + dt.timedelta(minutes=minutes))
        runner = services.ServiceRunner([services.Scheduler()], clock=at)
        for _ in range(3):
            runner.run_once()
    """
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_racing_and_restarted_schedulers_never_duplicate_a_scheduled_run(
    use_database: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    anchor = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(days=1)
    with praefect.get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("t7")
        deployment_id = client.create_deployment(
            flow_id, name="every-5-min", schedules=[Interval(EVERY, anchor_date=anchor)]
        )
    script = tmp_path / "scheduler.py"
    script.write_text(SCRIPT)
    env = {**cli_env, "PRAEFECT_DATABASE_URL": use_database}
    schedulers = [
        subprocess.Popen(
            [sys.executable, str(script), anchor.isoformat()],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for scheduler in schedulers:
        output = scheduler.communicate(timeout=120)[0]
        assert scheduler.returncode == 0, output

    of_deployment = filters.FlowRunFilter(
        deployment_id=filters.FlowRunFilterDeploymentId(any_=[deployment_id])
    )
    with praefect.get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=of_deployment, limit=10_000)
    times = [run.expected_start_time for run in runs]
    assert len(times) == len(set(times))  # one run per (deployment, scheduled time)
    assert all((t - anchor) % EVERY == dt.timedelta(0) for t in times)
    assert anchor in times and anchor + dt.timedelta(minutes=45) in times
