"""A small ETL flow: extract with a flaky source that recovers on retry, transform with ``.map``,
load in a subflow, and log along the way.

Run it with ``make run`` (or ``.venv/bin/python examples/hello_flow.py``), then see what was
recorded with ``praefect flow-run ls`` and ``praefect flow-run logs <id>``. No server needed: runs,
states and logs go to the embedded SQLite store under ``$PRAEFECT_HOME`` (``~/.praefect``).
"""

from __future__ import annotations

from praefect import flow, get_run_logger, task

_attempts = {"extract": 0}


@task(retries=2, retry_delay_seconds=0.1)
def extract(n: int) -> list[int]:
    """Read ``n`` records from a source that fails on the first attempt."""
    _attempts["extract"] += 1
    logger = get_run_logger()
    if _attempts["extract"] == 1:
        logger.warning("Source not ready yet (attempt %d); will retry", _attempts["extract"])
        raise ConnectionError("source not ready")
    logger.info("Extracted %d records on attempt %d", n, _attempts["extract"])
    return list(range(1, n + 1))


@task
def transform(record: int) -> int:
    """Square one record."""
    return record * record


@task
def summarize(values: list[int]) -> dict[str, int]:
    summary = {"count": len(values), "total": sum(values)}
    get_run_logger().info("Summary: %s", summary)
    return summary


@flow
def load(values: list[int]) -> int:
    """A subflow that 'loads' the values and reports how many rows it wrote."""
    get_run_logger().info("Loading %d rows", len(values))
    return len(values)


@flow(name="hello-etl", log_prints=True)
def hello_etl(n: int = 5) -> dict[str, int]:
    records = extract(n)
    squares = transform.map(records).result()
    rows = load(squares)
    summary = summarize(squares)
    print(f"Loaded {rows} rows; total of squares = {summary['total']}")
    return summary


if __name__ == "__main__":
    result = hello_etl(5)
    assert result == {"count": 5, "total": 55}, result
