"""Workers: processes that poll a work pool for Scheduled flow runs and run each on their
infrastructure (Prefect 3's ``prefect.workers``). ``ProcessWorker`` runs them in local
subprocesses; ``praefect worker start --pool NAME`` starts one.

>>> from praefect.workers import ProcessWorker
>>> ProcessWorker.type
'process'
"""

from __future__ import annotations

from praefect.workers.base import BaseJobConfiguration, BaseWorker, BaseWorkerResult
from praefect.workers.process import ProcessJobConfiguration, ProcessWorker

__all__ = [
    "BaseJobConfiguration",
    "BaseWorker",
    "BaseWorkerResult",
    "ProcessJobConfiguration",
    "ProcessWorker",
]
