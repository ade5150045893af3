"""Run logging (Prefect 3's ``prefect.logging``).

>>> from praefect import flow, get_run_logger
>>> @flow
... def hello():
...     get_run_logger().info("Hello!")  # printed, and stored against the flow run
"""

from praefect.logging.loggers import (
    LogEavesdropper,
    PrefectLogAdapter,
    disable_run_logger,
    get_logger,
    get_run_logger,
)

__all__ = [
    "LogEavesdropper",
    "PrefectLogAdapter",
    "disable_run_logger",
    "get_logger",
    "get_run_logger",
]
