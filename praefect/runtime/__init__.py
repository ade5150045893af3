"""Facts about the run executing here, as module attributes (Prefect 3's ``prefect.runtime``).

>>> from praefect import runtime
>>> runtime.flow_run.name is None  # outside a run
True
"""

from praefect.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
