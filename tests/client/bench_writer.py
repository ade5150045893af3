"""Measure the write-behind throughput: task-run state changes committed per second on SQLite.

Run: ``.venv/bin/python tests/client/bench_writer.py [n_tasks]``. Each task run goes through
Pending, Running and Completed (3 state changes: 3 state rows, 3 events, 1 upserted run row).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid

from praefect.client.embedded import EmbeddedClient
from praefect.schemas.states import State, StateType


def main(n_tasks: int = 20_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        client = EmbeddedClient(f"sqlite:///{tmp}/bench.db")
        flow_run_id = uuid.uuid4()
        client.create_flow_run(
            {"id": flow_run_id, "name": "bench", "flow_id": client.ensure_flow("bench")}
        )
        rows = []
        for i in range(n_tasks):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "name": f"task-{i}",
                    "flow_run_id": flow_run_id,
                    "task_key": "task",
                    "dynamic_key": str(i),
                    "tags": [],
                    "task_inputs": {},
                    "empirical_policy": {"retries": 0, "retry_delay": 0},
                }
            )
        states = [
            [State(StateType.PENDING), State(StateType.RUNNING), State(StateType.COMPLETED)]
            for _ in range(n_tasks)
        ]
        enqueue = client.enqueue_task_run
        start = time.perf_counter()
        for row, (pending, running, completed) in zip(rows, states, strict=True):
            enqueue(row, pending)
            enqueue(row, running)
            enqueue(row, completed)
        enqueued = time.perf_counter() - start
        client.flush()
        total = time.perf_counter() - start
        changes = 3 * n_tasks
        print(f"enqueue: {enqueued / changes * 1e6:.2f} us per state change (calling thread)")
        print(f"committed {changes} state changes in {total:.2f}s: {changes / total:,.0f}/s")
        client.close()
        from praefect import database

        database.dispose_all()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
