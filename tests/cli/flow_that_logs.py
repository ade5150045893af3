"""A flow that logs while the CLI follows it: ``python flow_that_logs.py DIR``.

Writes ``DIR/started`` (the flow run id) once running, waits for ``DIR/go``, then logs ``tick 0``
to ``tick 5`` 0.3 s apart (about 1.5 s) and completes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from praefect import flow, get_run_logger, runtime


@flow(name="cli-ticking")
def ticking(directory: str) -> int:
    folder = Path(directory)
    (folder / "started").write_text(str(runtime.flow_run.id))
    deadline = time.monotonic() + 60
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    logger = get_run_logger()
    for i in range(6):
        logger.info("tick %d", i)
        time.sleep(0.3)
    return 6


if __name__ == "__main__":
    assert ticking(sys.argv[1]) == 6
