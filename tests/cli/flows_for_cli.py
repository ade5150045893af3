"""Flows the CLI tests look at; run as a script against a temporary PRAEFECT_HOME.

Prints one JSON line with the ids the tests need.
"""

from __future__ import annotations

import json

from praefect import flow, get_run_logger, runtime, task

seen: dict[str, str] = {}
attempts = {"flaky": 0}


@task
def double(x: int) -> int:
    get_run_logger().info("doubling %s", x)
    return 2 * x


@task(retries=1, retry_delay_seconds=0)
def flaky() -> str:
    attempts["flaky"] += 1
    seen["flaky_task_run"] = str(runtime.task_run.id)
    if attempts["flaky"] == 1:
        raise RuntimeError("flaky-first-attempt")
    get_run_logger().info("flaky-recovered-marker")
    return "ok"


@flow(name="cli-child")
def child(values: list[int]) -> int:
    get_run_logger().warning("child-warning-marker")
    seen["child"] = str(runtime.flow_run.id)
    return len(values)


@flow(name="cli-etl")
def etl(n: int = 3) -> int:
    seen["etl"] = str(runtime.flow_run.id)
    get_run_logger().info("etl-start-marker")
    values = double.map(range(n)).result()
    flaky()
    child(values)
    get_run_logger().info("etl-end-marker")
    return sum(values)


@flow(name="cli-broken")
def broken() -> None:
    seen["broken"] = str(runtime.flow_run.id)
    get_run_logger().error("about-to-fail-marker")
    raise ValueError("boom-marker")


if __name__ == "__main__":
    assert etl(3) == 6
    state = broken(return_state=True)
    assert state.is_failed(), state
    print(json.dumps(seen))
