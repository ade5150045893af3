"""Several schedulers at once (server replicas, or a restart overlapping the old process) never
create a run twice: the runs' idempotency keys are unique per flow and the scheduler's INSERT
ignores a conflict. Checked with real concurrency: two OS processes on SQLite and PostgreSQL,
and on PostgreSQL several transactions that all read "no runs yet" before inserting."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa

from praefect import database, orchestration
from praefect.database import tables
from praefect.orchestration import scheduling
from praefect.schemas.schedules import CronSchedule, IntervalSchedule

UTC = dt.UTC
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
DEPLOYMENTS = 12
RUNS_PER_SCHEDULE = 15


def _deployments(engine: sa.Engine) -> None:
    def write(conn: sa.Connection) -> None:
        flow_id = orchestration.flows.ensure(conn, "etl")
        for i in range(DEPLOYMENTS):
            deployment_id = uuid.uuid4()
            created = T0 - dt.timedelta(days=1)
            conn.execute(
                tables.deployment.insert().values(
                    id=deployment_id,
                    created=created,
                    updated=created,
                    name=f"dep-{i}",
                    flow_id=flow_id,
                    tags=[],
                    parameters={},
                    job_variables={},
                )
            )
            for model in (
                IntervalSchedule(interval=dt.timedelta(minutes=7 + i), anchor_date=T0),
                CronSchedule(cron="*/5 * * * *", timezone="Europe/Paris"),
            ):
                conn.execute(
                    tables.deployment_schedule.insert().values(
                        id=uuid.uuid4(),
                        created=created,
                        updated=created,
                        deployment_id=deployment_id,
                        schedule=model.model_dump(mode="json"),
                        parameters={},
                    )
                )

    database.write(engine, write)


def _keys(engine: sa.Engine) -> list[str]:
    query = sa.select(tables.flow_run.c.idempotency_key)
    return database.read(engine, lambda conn: list(conn.execute(query).scalars()))


_SCHEDULER = textwrap.dedent(
    """
    import datetime as dt, json, sys, time
    from pathlib import Path
    from praefect import database
    from praefect.orchestration import scheduling

    url, go, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    engine = database.get_engine(url)
    t0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    while not go.exists():
        time.sleep(0.001)
    created = []
    for step in range(3):  # three passes, the clock moving 20 minutes each
        now = t0 + dt.timedelta(minutes=20 * step)
        created += database.write(
            engine,
            lambda conn: scheduling.schedule_runs(
                conn, now=now, min_runs=__RUNS__, min_time=0, catch_up="none"
            ),
        )
    out.write_text(json.dumps([str(i) for i in created]))
    """
).replace("__RUNS__", str(RUNS_PER_SCHEDULE))


def test_two_scheduler_processes_never_create_a_run_twice(database_url, tmp_path: Path):
    engine = database.get_engine(database_url)
    _deployments(engine)
    go = tmp_path / "go"
    outs = [tmp_path / f"created-{i}.json" for i in range(2)]
    processes = [
        subprocess.Popen([sys.executable, "-c", _SCHEDULER, database_url, str(go), str(out)])
        for out in outs
    ]
    go.touch()
    for process in processes:
        assert process.wait(timeout=90) == 0

    keys = _keys(engine)
    assert len(keys) == len(set(keys))
    created = [run for out in outs for run in json.loads(out.read_text())]
    assert len(created) == len(set(created)) == len(keys)  # each run created by one of them
    # each schedule got its runs for each of the three clock times, once
    expected = set()
    for now in (T0 + dt.timedelta(minutes=20 * k) for k in range(3)):
        expected |= set(
            database.read(
                engine,
                lambda conn, now=now: _expected_keys(conn, now),
            )
        )
    assert set(keys) == expected


def _expected_keys(conn: sa.Connection, now: dt.datetime) -> set[str]:
    from pydantic import TypeAdapter

    from praefect.schemas.schedules import SCHEDULE_TYPES

    adapter = TypeAdapter(SCHEDULE_TYPES)
    keys = set()
    for row in conn.execute(sa.select(tables.deployment_schedule)).mappings():
        for date in adapter.validate_python(row["schedule"]).get_dates(
            RUNS_PER_SCHEDULE, start=now
        ):
            keys.add(scheduling.idempotency_key(row["deployment_id"], row["id"], date))
    return keys


def test_concurrent_scheduler_transactions_never_create_a_run_twice(database_url):
    # Four schedulers in four threads, each in its own transaction, all begun before any
    # inserts. On PostgreSQL they truly overlap: one's INSERT waits on another's uncommitted
    # row, then skips it (ON CONFLICT DO NOTHING) instead of failing or duplicating. On SQLite
    # writers take turns (BEGIN IMMEDIATE), and each sees the runs of the one before.
    engine = database.get_engine(database_url)
    _deployments(engine)
    overlap = engine.dialect.name == "postgresql"
    barrier = threading.Barrier(4, timeout=30)
    created: list[list[uuid.UUID]] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        def transaction(conn: sa.Connection) -> list[uuid.UUID]:
            if overlap:
                conn.exec_driver_sql("SELECT 1")
                barrier.wait()
            return scheduling.schedule_runs(
                conn, now=T0, min_runs=RUNS_PER_SCHEDULE, min_time=0, catch_up="none"
            )

        try:
            if not overlap:
                barrier.wait()
            created.append(database.write(engine, transaction))
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    keys = _keys(engine)
    assert len(keys) == len(set(keys)) == DEPLOYMENTS * 2 * RUNS_PER_SCHEDULE
    assert sorted(run for ids in created for run in ids) == sorted(
        database.read(
            engine, lambda conn: list(conn.execute(sa.select(tables.flow_run.c.id)).scalars())
        )
    )
