"""Tasks served by the task workers of the tests (imported by them and by ``praefect task
serve`` in a subprocess: the same file, so the same task keys)."""

import os
import time
from pathlib import Path

from praefect import task


@task
def triple(x):
    return x * 3


@task
def record(x, path):
    # one line per execution: O_APPEND writes of one short line do not interleave
    with open(path, "a") as out:
        out.write(f"{x}\n")
    return x


@task(retries=1)
def hang_the_first_time(marker):
    """The first attempt leaves a mark and hangs (its worker gets killed); the next returns."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(60)
    return "second attempt"


@task
def fails():
    raise ValueError("no luck")
