"""``python -m praefect.engine``: execute the flow run whose id is in ``PRAEFECT__FLOW_RUN_ID``
(or ``PREFECT__FLOW_RUN_ID``), in place; the default command of workers and runners."""

from __future__ import annotations

import sys

from praefect.engine.execute import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
