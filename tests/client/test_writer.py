import subprocess
import sys
import textwrap
import uuid

from praefect import database, orchestration
from praefect.client.embedded import EmbeddedClient
from praefect.schemas.states import State, now_utc


def _task(flow_run_id, i=0):
    return {
        "id": uuid.uuid4(),
        "name": f"t-{i}",
        "flow_run_id": flow_run_id,
        "task_key": "t",
        "dynamic_key": str(i),
        "tags": [],
        "task_inputs": {},
        "empirical_policy": {"retries": 0},
    }


def _flow_run(client: EmbeddedClient) -> uuid.UUID:
    """A new flow run's id: task runs may only name an existing one."""
    run_id = uuid.uuid4()
    client.create_flow_run({"id": run_id, "flow_id": client.ensure_flow("f"), "name": "r"})
    return run_id


def test_enqueued_task_runs_and_logs_are_visible_after_flush(tmp_path):
    client = EmbeddedClient(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        run_id = _flow_run(client)
        rows = [_task(run_id, i) for i in range(50)]
        for row in rows:
            client.enqueue_task_run(row, State("PENDING"))
            client.enqueue_task_run(row, State("COMPLETED"))
        client.enqueue_logs(
            [
                {
                    "name": "x",
                    "level": 20,
                    "message": "hi",
                    "timestamp": now_utc(),
                    "flow_run_id": run_id,
                }
            ]
        )
        client.flush()
        engine = client.engine
        runs = database.read(engine, lambda c: orchestration.task_runs.read_many(c))
        assert len(runs) == 50 and {r["state_type"] for r in runs} == {"COMPLETED"}
        history = database.read(
            engine, lambda c: orchestration.task_runs.read_states(c, rows[0]["id"])
        )
        assert [s.type.value for s in history] == ["PENDING", "COMPLETED"]
        events = database.read(engine, lambda c: orchestration.events.read_many(c, limit=None))
        events = [event for event in events if event["event"].startswith("prefect.task-run.")]
        assert len(events) == 100
        assert events[-1]["payload"]["intended"]["from"] == "PENDING"
        assert database.read(engine, orchestration.logs.read_many)[0]["message"] == "hi"
    finally:
        client.close()
        database.dispose_engine(client.url)


def test_last_row_of_a_task_run_wins_across_batches(tmp_path):
    client = EmbeddedClient(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        row = _task(_flow_run(client))
        client.enqueue_task_run(row, State("RUNNING"))
        client.flush()
        client.enqueue_task_run({**row, "run_count": 1, "name": "renamed"}, State("COMPLETED"))
        client.enqueue_task_run({**row, "run_count": 1, "name": "renamed", "cache_key": "k"}, None)
        client.flush()
        stored = client.read_task_run(row["id"])
        assert (stored["name"], stored["run_count"], stored["cache_key"]) == ("renamed", 1, "k")
        assert stored["state_type"] == "COMPLETED"
        events = client.read_events(resource_id=f"prefect.task-run.{row['id']}")
        assert events[-1]["payload"]["intended"] == {"from": "RUNNING", "to": "COMPLETED"}
    finally:
        client.close()
        database.dispose_engine(client.url)


def test_flush_without_a_writer_thread_commits_in_the_calling_thread(tmp_path):
    client = EmbeddedClient(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        client.flush()
        assert client.writer.pending() == 0
    finally:
        client.close()
        database.dispose_engine(client.url)


def test_a_failing_batch_is_retried_then_logged_not_dropped_silently(tmp_path, caplog):
    client = EmbeddedClient(f"sqlite:///{tmp_path}/db.sqlite")
    client.writer.attempts = 2
    try:
        client.enqueue_task_run({"id": uuid.uuid4()}, State("RUNNING"))  # no name: cannot insert
        client.flush(timeout=10)
        assert client.writer.failed_items == 1
        assert "they are lost" in caplog.text
    finally:
        client.close()
        database.dispose_engine(client.url)


def test_a_script_that_exits_without_flushing_still_commits_its_queue(tmp_path):
    url = f"sqlite:///{tmp_path}/db.sqlite"
    script = textwrap.dedent(
        f"""
        import uuid
        from praefect.client.embedded import EmbeddedClient
        from praefect import client as _registry
        from praefect.schemas.states import State
        client = EmbeddedClient({url!r})
        _registry._clients[{url!r}] = client
        for i in range(500):
            row = {{"id": uuid.uuid4(), "name": f"t{{i}}", "task_key": "t", "dynamic_key": str(i)}}
            client.enqueue_task_run(row, State("COMPLETED"))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    engine = database.get_engine(url)
    try:
        count = database.read(engine, lambda c: orchestration.task_runs.count(c))
        assert count == 500
    finally:
        database.dispose_engine(url)


def test_task_runs_of_a_deleted_flow_run_are_dropped_and_the_others_kept(tmp_path, caplog):
    client = EmbeddedClient(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        kept, deleted = _flow_run(client), _flow_run(client)
        client.delete_flow_run(deleted)
        for i in range(10):
            client.enqueue_task_run(_task(kept, i), State("COMPLETED"))
            client.enqueue_task_run(_task(deleted, i), State("COMPLETED"))
        client.flush()
        runs = database.read(client.engine, lambda c: orchestration.task_runs.read_many(c))
        assert {run["flow_run_id"] for run in runs} == {kept}
        assert len(runs) == 10
        assert f"Dropped 10 task-run change(s): Flow run {deleted} not found" in caplog.text
    finally:
        client.close()
        database.dispose_engine(client.url)


def test_queued_events_are_written_without_a_flush(tmp_path):
    # an event queued alone (emit_event outside any run) must not wait for the next flush
    import time

    from praefect.schemas.events import Event

    client = EmbeddedClient(f"sqlite:///{tmp_path / 'events.db'}")
    event = Event.model_validate({"event": "acme.alone", "resource": {"prefect.resource.id": "a"}})
    client.writer.put_events([event])
    for _ in range(200):
        stored = database.read(
            client.engine, lambda conn: orchestration.events.read_many(conn, "acme.alone")
        )
        if stored:
            break
        time.sleep(0.01)
    assert [row["event"] for row in stored] == ["acme.alone"]
    client.close()
