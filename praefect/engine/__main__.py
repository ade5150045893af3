"""``python -m praefect.engine [ID]``: execute the flow run ``ID`` (default: the one in
``PRAEFECT__FLOW_RUN_ID`` or ``PREFECT__FLOW_RUN_ID``), in place; the default command of workers
and runners.

``python -m praefect.engine --spare`` is a warm spare: it imports what a run needs, then waits
for the run's id (and environment) as one JSON line on stdin, so a worker's run skips the
interpreter's start-up (see ``execute.wait_for_flow_run_id``).
"""

from __future__ import annotations

import sys

from praefect.engine import execute

if __name__ == "__main__":
    argument = sys.argv[1] if len(sys.argv) > 1 else None
    if argument == "--spare":
        run_id = execute.wait_for_flow_run_id()
        sys.exit(0 if run_id is None else execute.main(run_id))
    sys.exit(execute.main(argument))
