"""The flows tests/compat runs with Prefect's own ``prefect`` package (imported in the Prefect
venv, never by praefect's test session)."""

from prefect import flow, get_run_logger, task


@task
def add(x: int, y: int) -> int:
    return x + y


@flow(log_prints=True)
def hello(n: int = 3) -> int:
    total = 0
    for i in range(n):
        total = add(total, i)
    print(f"total is {total}")
    get_run_logger().info("compat flow done")
    return total
