import multiprocessing
import uuid

import pytest

from praefect import database, orchestration
from praefect.client.embedded import EmbeddedClient
from praefect.schemas.states import State, now_utc

PROCESSES = 8
RUNS = 3
TASKS_PER_RUN = 100
LOGS_PER_RUN = 70


def _state(kind: str) -> State:
    # Explicit ids: praefect.utilities.ids keeps a per-thread pool that a forked child inherits.
    return State(kind, id=uuid.uuid4())


def _worker(url: str, n: int, errors: "multiprocessing.Queue[str]") -> None:
    try:
        client = EmbeddedClient(url)
        flow_id = client.ensure_flow("shared")
        for r in range(RUNS):
            run_id = uuid.uuid4()
            client.create_flow_run(
                {"id": run_id, "name": f"p{n}-{r}", "flow_id": flow_id, "state": _state("PENDING")}
            )
            assert client.set_flow_run_state(run_id, _state("RUNNING")).status.value == "ACCEPT"
            for i in range(TASKS_PER_RUN):
                row = {
                    "id": uuid.uuid4(),
                    "name": f"t{i}",
                    "flow_run_id": run_id,
                    "task_key": "t",
                    "dynamic_key": str(i),
                }
                client.enqueue_task_run(row, _state("RUNNING"))
                client.enqueue_task_run(row, _state("COMPLETED"))
            client.enqueue_logs(
                [
                    {
                        "name": "w",
                        "level": 20,
                        "message": str(i),
                        "timestamp": now_utc(),
                        "flow_run_id": run_id,
                    }
                    for i in range(LOGS_PER_RUN)
                ]
            )
            client.set_flow_run_state(run_id, _state("COMPLETED"))
        client.close()
        if client.writer.failed_items:
            errors.put(f"process {n}: {client.writer.failed_items} items failed")
    except BaseException as exc:  # reported to the parent, which fails the test
        errors.put(f"process {n}: {exc!r}")


def test_eight_processes_write_one_sqlite_database_without_lock_errors(tmp_path):
    _eight_processes_write(f"sqlite:///{tmp_path}/shared.db")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_eight_processes_write_one_postgres_database_without_errors(database_url):
    _eight_processes_write(database_url)


def _eight_processes_write(url: str) -> None:
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    workers = [context.Process(target=_worker, args=(url, n, errors)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    errors.close()
    errors.join_thread()
    assert reported == []
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    engine = database.get_engine(url)
    try:

        def counts(conn):
            return (
                orchestration.flows.count(conn),
                orchestration.flow_runs.count(conn),
                orchestration.task_runs.count(conn),
                len(orchestration.logs.read_many(conn)),
                conn.exec_driver_sql("SELECT count(*) FROM task_run_state").scalar(),
                conn.exec_driver_sql("SELECT count(*) FROM event").scalar(),
            )

        runs = PROCESSES * RUNS
        tasks = runs * TASKS_PER_RUN
        assert database.read(engine, counts) == (
            1,
            runs,
            tasks,
            runs * LOGS_PER_RUN,
            2 * tasks,
            2 * tasks + 3 * runs,
        )
    finally:
        database.dispose_engine(url)
