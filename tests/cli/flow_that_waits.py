"""A flow that stays Running until told to finish: ``python flow_that_waits.py DIR``.

Writes ``DIR/started`` (containing the flow run id) once running, then waits for ``DIR/release``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from praefect import flow, runtime


@flow(name="cli-waiting")
def waiting(directory: str) -> str:
    folder = Path(directory)
    (folder / "started").write_text(str(runtime.flow_run.id))
    deadline = time.monotonic() + 60
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "released"


if __name__ == "__main__":
    assert waiting(sys.argv[1]) == "released"
