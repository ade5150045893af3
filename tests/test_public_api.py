"""The public face of praefect: each public module's ``__all__`` is sorted, importable and pinned.

A change to a pinned ``__all__`` is deliberate: update ``PINNED`` in the same change. The
``REQUIRED`` names are Prefect 3's (docs/../prefect-surface.md §1) that must never go missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys

import pytest

PUBLIC_MODULES = [
    "praefect",
    "praefect.automations",
    "praefect.blocks",
    "praefect.blocks.core",
    "praefect.blocks.system",
    "praefect.cache_policies",
    "praefect.client",
    "praefect.client.schemas.actions",
    "praefect.client.schemas.filters",
    "praefect.client.schemas.objects",
    "praefect.client.schemas.responses",
    "praefect.client.schemas.schedules",
    "praefect.client.schemas.sorting",
    "praefect.concurrency.asyncio",
    "praefect.concurrency.sync",
    "praefect.concurrency.v1.asyncio",
    "praefect.concurrency.v1.sync",
    "praefect.context",
    "praefect.deployments",
    "praefect.deployments.runner",
    "praefect.deployments.steps",
    "praefect.events",
    "praefect.events.filters",
    "praefect.exceptions",
    "praefect.filesystems",
    "praefect.flow_runs",
    "praefect.flows",
    "praefect.futures",
    "praefect.input",
    "praefect.logging",
    "praefect.results",
    "praefect.runner",
    "praefect.runtime",
    "praefect.schedules",
    "praefect.settings",
    "praefect.states",
    "praefect.task_runners",
    "praefect.task_worker",
    "praefect.tasks",
    "praefect.testing.utilities",
    "praefect.transactions",
    "praefect.workers",
]

# Names Prefect 3 users import from each module (a subset of Prefect's __all__).
REQUIRED: dict[str, set[str]] = {
    "praefect": {
        "Flow",
        "State",
        "Task",
        "allow_failure",
        "flow",
        "get_client",
        "get_run_logger",
        "tags",
        "task",
        "unmapped",
    },
    "praefect.states": {
        "AwaitingRetry",
        "Cancelled",
        "Completed",
        "Crashed",
        "Failed",
        "Late",
        "Paused",
        "Pending",
        "Retrying",
        "Running",
        "Scheduled",
    },
    "praefect.futures": {
        "PrefectDistributedFuture",
        "PrefectFuture",
        "PrefectFutureList",
        "as_completed",
        "wait",
    },
    "praefect.task_worker": {"TaskWorker", "aserve", "serve"},
    "praefect.blocks.core": {"Block"},
    "praefect.blocks.system": {"Secret"},
    "praefect.filesystems": {"LocalFileSystem", "RemoteFileSystem", "NullFileSystem"},
    "praefect.task_runners": {"TaskRunner", "ThreadPoolTaskRunner"},
    "praefect.exceptions": {
        "CrashedRun",
        "FailedRun",
        "MissingContextError",
        "ObjectNotFound",
        "ParameterTypeError",
        "PrefectException",
        "UpstreamTaskError",
    },
    "praefect.logging": {"get_logger", "get_run_logger"},
    "praefect.schedules": {"Cron", "Interval", "RRule", "Schedule"},
    "praefect.client.schemas.schedules": {
        "CronSchedule",
        "IntervalSchedule",
        "NoSchedule",
        "RRuleSchedule",
        "construct_schedule",
    },
    "praefect.deployments": {"RunnerDeployment", "deploy", "run_deployment"},
    "praefect.events": {
        "Event",
        "RelatedResource",
        "Resource",
        "emit_event",
        "get_events_client",
        "get_events_subscriber",
    },
    "praefect.flows": {"Flow", "flow", "load_flow_from_entrypoint"},
    "praefect.context": {"FlowRunContext", "TaskRunContext", "get_run_context", "tags"},
    "praefect.client.schemas.filters": {
        "FlowFilter",
        "FlowFilterName",
        "FlowRunFilter",
        "FlowRunFilterState",
        "FlowRunFilterStateType",
        "LogFilter",
        "LogFilterFlowRunId",
        "TaskRunFilter",
    },
}

# The whole __all__ of each module, pinned. Update deliberately when the public API changes.
PINNED: dict[str, list[str]] = {
    "praefect.automations": [
        "Automation",
        "AutomationCore",
        "CallWebhook",
        "CancelFlowRun",
        "ChangeFlowRunState",
        "CompositeTrigger",
        "CompoundTrigger",
        "DeclareIncident",
        "DeleteFlowRun",
        "DoNothing",
        "EventTrigger",
        "PauseAutomation",
        "PauseDeployment",
        "PauseWorkPool",
        "PauseWorkQueue",
        "Posture",
        "ResourceSpecification",
        "ResourceTrigger",
        "ResumeAutomation",
        "ResumeDeployment",
        "ResumeFlowRun",
        "ResumeWorkPool",
        "ResumeWorkQueue",
        "RunDeployment",
        "SendNotification",
        "SequenceTrigger",
        "SuspendFlowRun",
        "Trigger",
    ],
    "praefect": [
        "Flow",
        "State",
        "Task",
        "__version__",
        "allow_failure",
        "apause_flow_run",
        "aresume_flow_run",
        "asuspend_flow_run",
        "flow",
        "get_client",
        "get_run_logger",
        "pause_flow_run",
        "resume_flow_run",
        "serve",
        "suspend_flow_run",
        "tags",
        "task",
        "unmapped",
    ],
    "praefect.flow_runs": [
        "apause_flow_run",
        "aresume_flow_run",
        "asuspend_flow_run",
        "load_flow_from_entrypoint",
        "pause_flow_run",
        "resume_flow_run",
        "retry_flow_run",
        "suspend_flow_run",
        "wait_for_flow_run",
    ],
    "praefect.input": [
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
    ],
    "praefect.blocks": ["Block"],
    "praefect.blocks.core": [
        "Block",
        "BlockNotSavedError",
        "get_block_class",
        "register_block_class",
    ],
    "praefect.blocks.system": ["Secret"],
    "praefect.cache_policies": [
        "CacheKeyFnPolicy",
        "CachePolicy",
        "CompoundCachePolicy",
        "DEFAULT",
        "FLOW_PARAMETERS",
        "FlowParameters",
        "INPUTS",
        "Inputs",
        "NONE",
        "NO_CACHE",
        "NoCache",
        "RUN_ID",
        "RunId",
        "TASK_SOURCE",
        "TaskSource",
        "hash_objects",
    ],
    "praefect.client": [
        "EmbeddedClient",
        "OrchestrationClient",
        "drop_orchestration_clients",
        "get_client",
        "get_orchestration_client",
    ],
    "praefect.client.schemas.actions": [
        "ConcurrencyLimitCreate",
        "ConcurrencyLimitV2Create",
        "ConcurrencyLimitV2Update",
        "DeploymentCreate",
        "DeploymentFlowRunCreate",
        "DeploymentScheduleCreate",
        "DeploymentScheduleUpdate",
        "DeploymentUpdate",
        "GlobalConcurrencyLimitCreate",
        "GlobalConcurrencyLimitUpdate",
        "WorkPoolCreate",
        "WorkPoolUpdate",
        "WorkQueueCreate",
        "WorkQueueUpdate",
    ],
    "praefect.client.schemas.filters": [
        "DeploymentFilter",
        "DeploymentFilterId",
        "DeploymentFilterName",
        "DeploymentFilterPaused",
        "DeploymentFilterTags",
        "DeploymentFilterWorkQueueName",
        "FlowFilter",
        "FlowFilterId",
        "FlowFilterName",
        "FlowFilterTags",
        "FlowRunFilter",
        "FlowRunFilterDeploymentId",
        "FlowRunFilterEndTime",
        "FlowRunFilterExpectedStartTime",
        "FlowRunFilterId",
        "FlowRunFilterIdempotencyKey",
        "FlowRunFilterName",
        "FlowRunFilterParentFlowRunId",
        "FlowRunFilterParentTaskRunId",
        "FlowRunFilterStartTime",
        "FlowRunFilterState",
        "FlowRunFilterStateName",
        "FlowRunFilterStateType",
        "FlowRunFilterTags",
        "FlowRunFilterWorkQueueName",
        "LogFilter",
        "LogFilterFlowRunId",
        "LogFilterLevel",
        "LogFilterName",
        "LogFilterTaskRunId",
        "LogFilterTimestamp",
        "Operator",
        "TaskRunFilter",
        "TaskRunFilterFlowRunId",
        "TaskRunFilterId",
        "TaskRunFilterName",
        "TaskRunFilterStartTime",
        "TaskRunFilterState",
        "TaskRunFilterStateName",
        "TaskRunFilterStateType",
        "TaskRunFilterTags",
        "TaskWorkerFilter",
        "WorkPoolFilter",
        "WorkPoolFilterId",
        "WorkPoolFilterName",
        "WorkPoolFilterType",
        "WorkQueueFilter",
        "WorkQueueFilterId",
        "WorkQueueFilterName",
        "WorkerFilter",
        "WorkerFilterLastHeartbeatTime",
        "WorkerFilterStatus",
    ],
    "praefect.client.schemas.objects": [
        "BlockDocument",
        "BlockType",
        "ConcurrencyLeaseHolder",
        "ConcurrencyLimit",
        "Deployment",
        "DeploymentSchedule",
        "Flow",
        "FlowRun",
        "FlowRunInput",
        "FlowRunPolicy",
        "GlobalConcurrencyLimit",
        "Log",
        "State",
        "StateDetails",
        "StateType",
        "TaskRun",
        "TaskRunInput",
        "TaskRunPolicy",
        "TaskWorkerResponse",
        "WorkPool",
        "WorkQueue",
        "Worker",
    ],
    "praefect.client.schemas.responses": [
        "ConcurrencyLimitWithLeaseResponse",
        "GlobalConcurrencyLimitResponse",
        "MinimalConcurrencyLimitResponse",
        "OrchestrationResult",
        "SetStateStatus",
        "StateAbortDetails",
        "StateAcceptDetails",
        "StateRejectDetails",
        "StateWaitDetails",
        "WorkerFlowRunResponse",
    ],
    "praefect.client.schemas.schedules": [
        "CronSchedule",
        "DeploymentSchedule",
        "DeploymentScheduleCreate",
        "DeploymentScheduleUpdate",
        "IntervalSchedule",
        "MAX_ITERATIONS",
        "NoSchedule",
        "RRuleSchedule",
        "SCHEDULE_TYPES",
        "construct_schedule",
        "is_schedule_type",
    ],
    "praefect.client.schemas.sorting": [
        "DeploymentSort",
        "FlowRunSort",
        "FlowSort",
        "LogSort",
        "TaskRunSort",
    ],
    "praefect.concurrency.asyncio": [
        "concurrency",
        "rate_limit",
    ],
    "praefect.concurrency.sync": [
        "concurrency",
        "rate_limit",
    ],
    "praefect.concurrency.v1.asyncio": [
        "concurrency",
    ],
    "praefect.concurrency.v1.sync": [
        "concurrency",
    ],
    "praefect.runner": ["Runner", "aserve", "serve"],
    "praefect.workers": [
        "BaseJobConfiguration",
        "BaseWorker",
        "BaseWorkerResult",
        "ProcessJobConfiguration",
        "ProcessWorker",
    ],
    "praefect.context": [
        "EngineContext",
        "FlowRunContext",
        "RunContext",
        "TagsContext",
        "TaskRunContext",
        "get_run_context",
        "tags",
    ],
    "praefect.exceptions": [
        "Abort",
        "AcquireConcurrencySlotTimeoutError",
        "CancelledRun",
        "ConcurrencySlotAcquisitionError",
        "ConfigurationError",
        "CrashedRun",
        "DatabaseUnavailable",
        "ExternalSignal",
        "FailedRun",
        "FlowNotFound",
        "FlowPauseTimeout",
        "FlowRunNotFound",
        "FlowRunTimeoutError",
        "FlowRunWaitTimeout",
        "InfrastructureError",
        "InfrastructureNotAvailable",
        "InfrastructureNotFound",
        "InvalidNameError",
        "MappingLengthMismatch",
        "MappingMissingIterable",
        "MissingContextError",
        "MissingFlowError",
        "MissingResult",
        "NotPausedError",
        "ObjectAlreadyExists",
        "ObjectLimitReached",
        "ObjectNotFound",
        "ParameterBindError",
        "ParameterTypeError",
        "Pause",
        "PausedRun",
        "PrefectException",
        "PrefectSignal",
        "ReservedArgumentError",
        "ScriptError",
        "SerializationError",
        "SignatureMismatchError",
        "TaskRunNotFound",
        "TaskRunTimeoutError",
        "TerminationSignal",
        "UnfinishedRun",
        "UnspecifiedFlowError",
        "UpstreamTaskError",
    ],
    "praefect.filesystems": [
        "LocalFileSystem",
        "NullFileSystem",
        "ReadableFileSystem",
        "RemoteFileSystem",
        "WritableFileSystem",
    ],
    "praefect.flows": [
        "Flow",
        "aserve",
        "flow",
        "load_flow_from_entrypoint",
        "load_flow_from_flow_run",
        "serve",
    ],
    # deployments
    "praefect.deployments": ["RunnerDeployment", "arun_deployment", "deploy", "run_deployment"],
    "praefect.deployments.runner": ["RunnerDeployment", "deploy"],
    # events
    "praefect.events": [
        "Event",
        "EventSubscriber",
        "EventsClient",
        "ReceivedEvent",
        "RelatedResource",
        "Resource",
        "ResourceSpecification",
        "emit_event",
        "get_events_client",
        "get_events_subscriber",
    ],
    "praefect.events.filters": [
        "EventAnyResourceFilter",
        "EventFilter",
        "EventIDFilter",
        "EventNameFilter",
        "EventOccurredFilter",
        "EventOrder",
        "EventRelatedFilter",
        "EventResourceFilter",
    ],
    "praefect.deployments.steps": [
        "StepExecutionError",
        "git_clone",
        "pip_install_requirements",
        "run_shell_script",
        "run_step",
        "run_steps",
        "set_working_directory",
    ],
    "praefect.task_worker": [
        "StopTaskWorker",
        "TaskWorker",
        "aserve",
        "read_parameters",
        "serve",
        "should_try_to_read_parameters",
        "store_parameters",
    ],
    "praefect.futures": [
        "DoneAndNotDoneFutures",
        "PrefectConcurrentFuture",
        "PrefectDistributedFuture",
        "PrefectFuture",
        "PrefectFutureList",
        "PrefectWrappedFuture",
        "as_completed",
        "resolve_futures_to_results",
        "resolve_futures_to_states",
        "wait",
    ],
    "praefect.logging": [
        "LogEavesdropper",
        "PrefectLogAdapter",
        "disable_run_logger",
        "get_logger",
        "get_run_logger",
    ],
    "praefect.results": [
        "ResultRecord",
        "ResultRecordMetadata",
        "ResultStore",
        "get_default_result_storage",
        "get_result_store",
        "resolve_result_storage",
        "resolve_serializer",
        "should_persist_result",
    ],
    "praefect.runtime": ["deployment", "flow_run", "task_run"],
    "praefect.schedules": [
        "Cron",
        "Interval",
        "RRule",
        "Schedule",
        "deployment_schedules",
        "to_deployment_schedule_create",
    ],
    "praefect.settings": [
        "PRAEFECT_API_KEY",
        "PRAEFECT_API_URL",
        "PRAEFECT_DATABASE_URL",
        "PRAEFECT_HOME",
        "PRAEFECT_LOGGING_LEVEL",
        "PREFECT_API_KEY",
        "PREFECT_API_URL",
        "PREFECT_HOME",
        "PREFECT_LOGGING_LEVEL",
        "Setting",
        "Settings",
        "get_current_settings",
        "reload_settings",
        "temporary_settings",
    ],
    "praefect.states": [
        "AwaitingConcurrencySlot",
        "AwaitingRetry",
        "Cancelled",
        "Cancelling",
        "Completed",
        "Crashed",
        "Failed",
        "InfrastructurePending",
        "Late",
        "Paused",
        "Pending",
        "Retrying",
        "RolledBack",
        "Running",
        "Scheduled",
        "State",
        "StateDetails",
        "StateGroup",
        "StateType",
        "Submitting",
        "Suspended",
        "TERMINAL_STATES",
        "exception_to_crashed_state",
        "exception_to_failed_state",
        "format_exception",
        "get_state_exception",
        "get_state_result",
        "is_state_iterable",
        "raise_state_exception",
        "return_value_to_state",
    ],
    "praefect.task_runners": [
        "ConcurrentTaskRunner",
        "ProcessPoolTaskRunner",
        "TaskRunner",
        "ThreadPoolTaskRunner",
    ],
    "praefect.tasks": ["Task", "exponential_backoff", "task", "task_input_hash"],
    "praefect.testing.utilities": [
        "FrozenClock",
        "frozen_time",
        "get_most_recent_flow_run",
        "praefect_test_harness",
        "prefect_test_harness",
    ],
    "praefect.transactions": [
        "AsyncTransaction",
        "BaseTransaction",
        "CommitMode",
        "IsolationLevel",
        "Transaction",
        "TransactionState",
        "atransaction",
        "get_transaction",
        "transaction",
    ],
}


def _existing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _public_all(name: str) -> list[str]:
    if not _existing(name):
        pytest.skip(f"{name} does not exist yet")
    module = importlib.import_module(name)
    names = getattr(module, "__all__", None)
    assert names is not None, f"{name} has no __all__"
    return list(names)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_has_no_duplicates(name):
    names = _public_all(name)
    assert names == sorted(names), f"{name}.__all__ is not sorted: {names}"
    assert len(names) == len(set(names)), f"{name}.__all__ has duplicates"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_name_in_all_is_importable(name):
    module = importlib.import_module(name) if _existing(name) else None
    missing = [n for n in _public_all(name) if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not define: {missing}"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_prefect_names_are_exported(name):
    missing = sorted(REQUIRED[name] - set(_public_all(name)))
    assert not missing, f"{name}.__all__ lacks Prefect 3 names: {missing}"


@pytest.mark.parametrize("name", sorted(PINNED))
def test_all_is_pinned(name):
    assert _public_all(name) == PINNED[name], (
        f"{name}.__all__ changed; if that is deliberate, update PINNED in {__file__}"
    )


def _modules_loaded_by(statement: str, watched: list[str]) -> list[str]:
    code = (
        f"import sys, json\n{statement}\n"
        f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_praefect_stays_light():
    # Cold import must stay fast: the database, migrations and settings machinery load on use.
    loaded = _modules_loaded_by("import praefect", ["sqlalchemy", "pydantic_settings", "alembic"])
    assert loaded == [], f"`import praefect` imports {loaded}; import them lazily, where used"


def test_cli_module_stays_light():
    # `praefect --help` must not pay for the database layer.
    loaded = _modules_loaded_by("import praefect.cli", ["sqlalchemy", "alembic"])
    assert loaded == [], f"`import praefect.cli` imports {loaded}; import them inside commands"


if __name__ == "__main__":
    # `python tests/test_public_api.py` prints PINNED for the modules as they are now.
    print("PINNED: dict[str, list[str]] = {")
    for module_name in PUBLIC_MODULES:
        if _existing(module_name):
            names = getattr(importlib.import_module(module_name), "__all__", None)
            if names is not None:
                print(f"    {module_name!r}: {sorted(names)!r},")
    print("}")
