"""Flows for tests/engine/test_pausing.py that a stored run loads by entrypoint: a suspended
flow whose task counts its executions in the file ``PAUSE_TEST_COUNTER`` names."""

import os
from pathlib import Path

from praefect import flow, task
from praefect.flow_runs import suspend_flow_run


@task(persist_result=True)
def prepare(n: int) -> int:
    counter = Path(os.environ["PAUSE_TEST_COUNTER"])
    counter.write_text(str(int(counter.read_text() or "0") + 1) if counter.exists() else "1")
    return n * 10


@flow(persist_result=True)
def suspends_for_a_number(n: int) -> int:
    prepared = prepare(n)
    extra = suspend_flow_run(wait_for_input=int, timeout=600)
    return prepared + extra
