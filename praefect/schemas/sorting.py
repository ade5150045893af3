"""Sort orders for reads (Prefect's enum and member names).

>>> FlowRunSort.START_TIME_DESC.value
'START_TIME_DESC'
"""

from __future__ import annotations

import enum

__all__ = [
    "BlockDocumentSort",
    "DeploymentSort",
    "FlowRunSort",
    "FlowSort",
    "LogSort",
    "TaskRunSort",
]


class FlowSort(enum.StrEnum):
    """Orders of flows."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


class FlowRunSort(enum.StrEnum):
    """Orders of flow runs."""

    ID_DESC = "ID_DESC"
    CREATED_DESC = "CREATED_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    START_TIME_DESC = "START_TIME_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


class TaskRunSort(enum.StrEnum):
    """Orders of task runs."""

    ID_DESC = "ID_DESC"
    CREATED_DESC = "CREATED_DESC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    NEXT_SCHEDULED_START_TIME_ASC = "NEXT_SCHEDULED_START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"
    DURATION_DESC = "DURATION_DESC"
    """Longest total run time first."""
    DURATION_ASC = "DURATION_ASC"


class LogSort(enum.StrEnum):
    """Orders of logs."""

    TIMESTAMP_ASC = "TIMESTAMP_ASC"
    TIMESTAMP_DESC = "TIMESTAMP_DESC"


class DeploymentSort(enum.StrEnum):
    """Orders of deployments."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CONCURRENCY_LIMIT_ASC = "CONCURRENCY_LIMIT_ASC"
    CONCURRENCY_LIMIT_DESC = "CONCURRENCY_LIMIT_DESC"


class BlockDocumentSort(enum.StrEnum):
    """Orders of block documents."""

    NAME_DESC = "NAME_DESC"
    NAME_ASC = "NAME_ASC"
    BLOCK_TYPE_AND_NAME_ASC = "BLOCK_TYPE_AND_NAME_ASC"
