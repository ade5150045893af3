"""Default base job templates of the work pool types (plain data, no pydantic: the service
layer reads them on the path of every process that opens the store).

>>> default_base_job_template("process")["job_configuration"]["command"]
'{{ command }}'
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PROCESS_BASE_JOB_TEMPLATE", "default_base_job_template", "worker_metadata"]

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


_WORKER_TYPES = {
    "process": {
        "type": "process",
        "display_name": "Process",
        "description": "Runs each flow run in a subprocess of the worker.",
        "documentation_url": None,
        "install_command": "pip install praefect",
        "is_beta": False,
        "logo_url": None,
    },
}


def worker_metadata() -> dict[str, dict[str, dict[str, Any]]]:
    """The worker types this server's pools can have, as Prefect's collections registry
    describes them (``GET /api/collections/views/aggregate-worker-metadata``): by collection,
    then by type, each with its ``default_base_job_configuration``.

    >>> sorted(worker_metadata()["prefect"])
    ['process']
    """
    return {
        "prefect": {
            name: {**about, "default_base_job_configuration": default_base_job_template(name)}
            for name, about in _WORKER_TYPES.items()
        }
    }
