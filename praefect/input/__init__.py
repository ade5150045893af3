"""Typed input for flow runs (Prefect's ``prefect.input``): what a paused run waits for
(``pause_flow_run(wait_for_input=...)``) and messages between runs (``send_input``,
``receive_input``). See docs/interactive.md.

>>> from praefect.input import RunInput
>>> class Approval(RunInput):
...     approved: bool
...     reviewer: str = "ops"
>>> sorted(Approval.model_json_schema()["properties"])
['approved', 'reviewer']
"""

from __future__ import annotations

from praefect.input.actions import (
    acreate_flow_run_input,
    acreate_flow_run_input_from_model,
    adelete_flow_run_input,
    afilter_flow_run_input,
    aread_flow_run_input,
    create_flow_run_input,
    create_flow_run_input_from_model,
    delete_flow_run_input,
    filter_flow_run_input,
    read_flow_run_input,
)
from praefect.input.run_input import (
    GetInputHandler,
    Keyset,
    RunInput,
    RunInputMetadata,
    keyset_from_base_key,
    keyset_from_paused_state,
    receive_input,
    send_input,
)

__all__ = [
    "GetInputHandler",
    "Keyset",
    "RunInput",
    "RunInputMetadata",
    "acreate_flow_run_input",
    "acreate_flow_run_input_from_model",
    "adelete_flow_run_input",
    "afilter_flow_run_input",
    "aread_flow_run_input",
    "create_flow_run_input",
    "create_flow_run_input_from_model",
    "delete_flow_run_input",
    "filter_flow_run_input",
    "keyset_from_base_key",
    "keyset_from_paused_state",
    "read_flow_run_input",
    "receive_input",
    "send_input",
]
