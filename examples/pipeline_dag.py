"""A small data pipeline whose tasks pass futures to each other, so the web UI draws a graph:
three sources fetched in parallel, each cleaned, joined, then scored and reported. One run in
four meets a bad batch and fails, so the dashboard has a failure to show.

Run it with ``.venv/bin/python examples/pipeline_dag.py`` (``make run`` does, then starts the
server: open the printed URL and look at the runs, their graph and logs).
"""

from __future__ import annotations

import random
import time

from praefect import flow, get_run_logger, task


@task(retries=1, retry_delay_seconds=0.05, tags=["io"])
def fetch(source: str) -> list[float]:
    """Read a batch of measurements from ``source``."""
    time.sleep(random.uniform(0.02, 0.12))
    rows = [random.uniform(0, 100) for _ in range(random.randint(20, 60))]
    get_run_logger().info("Fetched %d rows from %s", len(rows), source)
    return rows


@task
def clean(rows: list[float]) -> list[float]:
    """Drop the outliers."""
    time.sleep(random.uniform(0.01, 0.06))
    kept = [r for r in rows if 5 <= r <= 95]
    get_run_logger().debug("Kept %d of %d rows", len(kept), len(rows))
    return kept


@task
def join(a: list[float], b: list[float], c: list[float]) -> list[float]:
    time.sleep(0.03)
    return sorted(a + b + c)


@task
def score(rows: list[float], fail: bool) -> float:
    """The mean of the rows; a bad batch raises."""
    time.sleep(random.uniform(0.02, 0.08))
    if fail:
        raise ValueError(f"bad batch: {len(rows)} rows, expected a checksum")
    return sum(rows) / len(rows)


@task
def report(mean: float, count: int) -> str:
    text = f"{count} rows, mean {mean:.2f}"
    get_run_logger().info("Report: %s", text)
    return text


@flow(name="sensor-pipeline", log_prints=True)
def sensor_pipeline(batch: int = 1, fail: bool = False) -> str:
    """Fetch three sources in parallel, clean and join them, score and report."""
    sources = [f"sensor-{name}-{batch}" for name in ("north", "south", "east")]
    fetched = [fetch.submit(source) for source in sources]
    cleaned = [clean.submit(future) for future in fetched]
    joined = join.submit(*cleaned)
    mean = score.submit(joined, fail)
    done = report.submit(mean, 3)
    print(f"batch {batch}: {done.result()}")
    return done.result()


if __name__ == "__main__":
    for batch in range(1, 5):
        try:
            sensor_pipeline(batch=batch, fail=batch == 3)
        except Exception as exc:  # the failed run is recorded; the dashboard shows it
            print(f"batch {batch} failed: {exc!r}")
