"""Default base job templates of the work pool types (plain data, no pydantic: the service
layer reads them on the path of every process that opens the store).

>>> default_base_job_template("process")["job_configuration"]["command"]
'{{ command }}'
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PROCESS_BASE_JOB_TEMPLATE", "default_base_job_template"]

PROCESS_BASE_JOB_TEMPLATE: dict[str, Any] = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": "{{ env }}",
        "labels": "{{ labels }}",
        "name": "{{ name }}",
        "stream_output": "{{ stream_output }}",
        "working_dir": "{{ working_dir }}",
    },
    "variables": {
        "type": "object",
        "properties": {
            "name": {
                "title": "Name",
                "description": "Name given to infrastructure created by a worker.",
                "type": "string",
            },
            "env": {
                "title": "Environment Variables",
                "description": "Environment variables to set when starting a flow run.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "labels": {
                "title": "Labels",
                "description": "Labels applied to infrastructure created by a worker.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "command": {
                "title": "Command",
                "description": (
                    "The command to start a flow run (default: the current Python running "
                    "`praefect flow-run execute`)."
                ),
                "type": "string",
            },
            "stream_output": {
                "title": "Stream Output",
                "description": "Whether the flow run process's output goes to the worker's.",
                "type": "boolean",
                "default": True,
            },
            "working_dir": {
                "title": "Working Directory",
                "description": "The directory the flow run process starts in.",
                "type": "string",
                "format": "path",
            },
        },
    },
}
"""The base job template of a ``process`` work pool (Prefect's ``ProcessWorker`` template)."""

_DEFAULT_TEMPLATES = {"process": PROCESS_BASE_JOB_TEMPLATE}


def default_base_job_template(pool_type: str) -> dict[str, Any]:
    """A copy of the default base job template of a pool type (empty for an unknown type)."""
    return copy.deepcopy(_DEFAULT_TEMPLATES.get(pool_type, {}))
