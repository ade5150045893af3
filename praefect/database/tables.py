"""The database tables (SQLAlchemy 2 Core).

Run tables carry no foreign keys: task runs, their states and logs are written behind, in
batches, possibly before the flow run row of another process is visible; the service layer
deletes dependants itself. Each run row denormalises its current state (``state_id``,
``state_type``, ``state_name``, ``state_timestamp``) so lists never join the history.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from praefect.database.types import JSON, UUID, Timestamp, newest_first, not_null

__all__ = [
    "add_postgresql_options",
    "api_key",
    "artifact",
    "automation",
    "automation_action_run",
    "automation_bucket",
    "automation_related_resource",
    "block_document",
    "block_type",
    "concurrency_limit",
    "concurrency_slot",
    "deployment",
    "deployment_schedule",
    "event",
    "flow",
    "flow_run",
    "flow_run_input",
    "flow_run_state",
    "log",
    "metadata",
    "task_run",
    "task_run_claim",
    "task_run_state",
    "task_worker",
    "variable",
    "work_pool",
    "work_queue",
    "worker",
]


def _not_null(column: str) -> dict[str, Any]:
    # SQLite's WHERE only: a ``postgresql_`` keyword would make SQLAlchemy load its PostgreSQL
    # dialect (~2 MiB, ~30 ms) in every process; PostgreSQL engines add theirs (below).
    return {"sqlite_where": not_null(column)["sqlite_where"]}


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s__%(column_0_N_name)s",
        "uq": "uq_%(table_name)s__%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _base_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", UUID(), primary_key=True),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("updated", Timestamp(), nullable=False),
    ]


def _state_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("state_id", UUID()),
        sa.Column("state_type", sa.String(20)),
        sa.Column("state_name", sa.String(100)),
        sa.Column("state_timestamp", Timestamp()),
    ]


def _run_timing_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("run_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expected_start_time", Timestamp()),
        sa.Column("next_scheduled_start_time", Timestamp()),
        sa.Column("start_time", Timestamp()),
        sa.Column("end_time", Timestamp()),
        sa.Column("total_run_time", sa.Float(), nullable=False, server_default="0"),
        sa.Column("empirical_policy", JSON(), nullable=False),
        sa.Column("tags", JSON(), nullable=False),
    ]


flow = sa.Table(
    "flow",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("tags", JSON(), nullable=False),
)

flow_run = sa.Table(
    "flow_run",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("flow_id", UUID(), nullable=False),
    sa.Column("flow_version", sa.String(255)),
    sa.Column("deployment_id", UUID()),
    sa.Column("deployment_version", sa.String(255)),
    sa.Column("work_queue_name", sa.String(255)),
    sa.Column("work_queue_id", UUID()),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("parameters", JSON(), nullable=False),
    sa.Column("job_variables", JSON()),
    sa.Column("parent_task_run_id", UUID()),
    sa.Column("infrastructure_pid", sa.String(255)),
    sa.Column("entrypoint", sa.Text()),
    sa.Column("hostname", sa.String(255)),
    sa.Column("pid", sa.Integer()),
    sa.Column("heartbeat", Timestamp()),
    sa.Column("auto_scheduled", sa.Boolean(), nullable=False, server_default=sa.false()),
    *_state_columns(),
    *_run_timing_columns(),
    # Prefect's key-value labels (null: none)
    sa.Column("labels", JSON()),
    sa.Index("ix_flow_run__created_desc", *newest_first("created")),
    sa.Index("ix_flow_run__expected_start_time_desc", *newest_first("expected_start_time")),
    sa.Index(None, "state_type", "created"),  # newest runs in a state
    sa.Index(None, "flow_id", "created"),  # newest runs of a flow
    # Partial (``... IS NOT NULL``): most runs have no parent, deployment, queue or key, and an
    # index a row is not in costs its INSERT nothing (SQLite writes each index page a commit
    # touches to the WAL). Lookups by value (``=``, ``IN``) still use them.
    sa.Index(None, "parent_task_run_id", **_not_null("parent_task_run_id")),
    sa.Index(None, "deployment_id", "idempotency_key", **_not_null("deployment_id")),
)

task_run = sa.Table(
    "task_run",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("flow_run_id", UUID()),
    sa.Column("task_key", sa.String(255), nullable=False),
    sa.Column("dynamic_key", sa.String(255), nullable=False),
    sa.Column("task_version", sa.String(255)),
    sa.Column("cache_key", sa.String(1000)),
    sa.Column("cache_expiration", Timestamp()),
    sa.Column("task_inputs", JSON(), nullable=False),
    sa.Column("flow_run_run_count", sa.Integer(), nullable=False, server_default="0"),
    *_state_columns(),
    *_run_timing_columns(),
    sa.Index(None, "flow_run_id"),
)


def _state_table(name: str, run_column: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", UUID(), primary_key=True),
        sa.Column(run_column, UUID(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("timestamp", Timestamp(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("state_details", JSON(), nullable=False),
        sa.Column("data", JSON()),
        sa.Index(None, run_column, "timestamp"),
    )


flow_run_state = _state_table("flow_run_state", "flow_run_id")
task_run_state = _state_table("task_run_state", "task_run_id")

log = sa.Table(
    "log",
    metadata,
    sa.Column("id", UUID(), primary_key=True),
    sa.Column("created", Timestamp(), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("level", sa.Integer(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("timestamp", Timestamp(), nullable=False),
    sa.Column("flow_run_id", UUID()),
    sa.Column("task_run_id", UUID()),
    sa.Index(None, "flow_run_id", "timestamp"),
    sa.Index(None, "task_run_id"),
)

event = sa.Table(
    "event",
    metadata,
    sa.Column("id", UUID(), primary_key=True),
    sa.Column("occurred", Timestamp(), nullable=False),
    sa.Column("event", sa.String(255), nullable=False),
    sa.Column("resource_id", sa.String(255), nullable=False),
    sa.Column("resource", JSON(), nullable=False),
    sa.Column("related", JSON(), nullable=False),
    sa.Column("payload", JSON(), nullable=False),
    sa.Column("received", Timestamp(), nullable=False),
    sa.Column("follows", UUID()),
    sa.Index(None, "occurred"),
    sa.Index(None, "event", "occurred"),
)


flow_run_input = sa.Table(
    "flow_run_input",
    metadata,
    *_base_columns(),
    sa.Column("flow_run_id", UUID(), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("sender", sa.String(255)),
    sa.UniqueConstraint("flow_run_id", "key"),
)
"""Inputs saved for a flow run (Prefect's ``flow_run_input``): a paused run's input schema and
the answer it was resumed with, and messages sent with ``send_input``; ``value`` is JSON text.
Unique by run and key."""


# -- blocks ----------------------------------------------------------------------------------
block_type = sa.Table(
    "block_type",
    metadata,
    *_base_columns(),
    sa.Column("slug", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("logo_url", sa.String(2083)),
    sa.Column("documentation_url", sa.String(2083)),
    sa.Column("description", sa.Text()),
    sa.Column("code_example", sa.Text()),
    sa.Column("is_protected", sa.Boolean(), nullable=False, server_default=sa.false()),
)
"""The kinds of blocks (one per block class slug, e.g. ``local-file-system``)."""

block_document = sa.Table(
    "block_document",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("block_type_id", UUID(), nullable=False),
    sa.Column("data", JSON(), nullable=False),
    sa.Column("is_anonymous", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("block_type_id", "name"),
)
"""Saved blocks: a name unique per block type and the block's fields as JSON. Secret values
are stored as is: they are not encrypted at rest yet."""


# -- variables and artifacts ------------------------------------------------------------------
variable = sa.Table(
    "variable",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("value", JSON()),
    sa.Column("tags", JSON(), nullable=False),
)
"""A named JSON value (``praefect.variables.Variable``), with tags."""

artifact = sa.Table(
    "artifact",
    metadata,
    *_base_columns(),
    sa.Column("key", sa.String(255)),
    sa.Column("type", sa.String(64)),
    sa.Column("description", sa.Text()),
    sa.Column("data", JSON()),
    sa.Column("metadata_", JSON()),
    sa.Column("flow_run_id", UUID()),
    sa.Column("task_run_id", UUID()),
    sa.Index(None, "key", "created"),
    sa.Index(None, "flow_run_id"),
    sa.Index(None, "task_run_id"),
)
"""What a run published (markdown, a table, a link, an image, a progress): the versions of one
``key`` are its rows, the newest (``created``, then ``id``) the current one. No foreign keys:
artifacts are written behind, like task runs."""

# -- deployments, schedules, work pools, workers ----------------------------------------------
deployment = sa.Table(
    "deployment",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("flow_id", UUID(), nullable=False),
    sa.Column("version", sa.String(255)),
    sa.Column("description", sa.Text()),
    sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("tags", JSON(), nullable=False),
    sa.Column("parameters", JSON(), nullable=False),
    sa.Column("parameter_openapi_schema", JSON()),
    sa.Column("enforce_parameter_schema", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("job_variables", JSON(), nullable=False),
    sa.Column("entrypoint", sa.Text()),
    sa.Column("path", sa.Text()),
    sa.Column("pull_steps", JSON()),
    sa.Column("work_pool_name", sa.String(255)),
    sa.Column("work_queue_name", sa.String(255)),
    sa.Column("work_queue_id", UUID()),
    sa.Column("concurrency_limit", sa.Integer()),
    sa.Column("status", sa.String(20), nullable=False, server_default="NOT_READY"),
    sa.Column("last_polled", Timestamp()),
    sa.UniqueConstraint("flow_id", "name"),
    sa.Index(None, "work_queue_id"),
)
"""A flow's deployment: where its code is (``entrypoint``, ``path``, ``pull_steps``), what it
runs with (parameters, job variables) and where (``work_pool_name`` / ``work_queue_*``; none for
a deployment served by ``flow.serve()``). Unique by flow and name."""

deployment_schedule = sa.Table(
    "deployment_schedule",
    metadata,
    *_base_columns(),
    sa.Column("deployment_id", UUID(), nullable=False),
    sa.Column("schedule", JSON(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("max_scheduled_runs", sa.Integer()),
    sa.Column("parameters", JSON(), nullable=False),
    sa.Column("slug", sa.String(255)),
    sa.Index(None, "deployment_id"),
    sa.UniqueConstraint("deployment_id", "slug"),
)
"""One schedule of a deployment: ``schedule`` is the JSON of a cron, interval or rrule schedule
(``praefect.schemas.schedules``), ``parameters`` override the deployment's for its runs."""

work_pool = sa.Table(
    "work_pool",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text()),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("base_job_template", JSON(), nullable=False),
    sa.Column("is_paused", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("concurrency_limit", sa.Integer()),
    sa.Column("status", sa.String(20), nullable=False, server_default="NOT_READY"),
    sa.Column("default_queue_id", UUID()),
)
"""Where deployments' runs wait for workers: a type (``process``), a base job template whose
variables deployments and runs override, and queues (one ``default`` queue at least)."""

work_queue = sa.Table(
    "work_queue",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("work_pool_id", UUID(), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("is_paused", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("concurrency_limit", sa.Integer()),
    sa.Column("priority", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("status", sa.String(20), nullable=False, server_default="NOT_READY"),
    sa.Column("last_polled", Timestamp()),
    sa.UniqueConstraint("work_pool_id", "name"),
)
"""A queue of a work pool: workers take runs from the queues of lower ``priority`` first."""

worker = sa.Table(
    "worker",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("work_pool_id", UUID(), nullable=False),
    sa.Column("last_heartbeat_time", Timestamp(), nullable=False),
    sa.Column("heartbeat_interval_seconds", sa.Float()),
    sa.Column("status", sa.String(20), nullable=False, server_default="ONLINE"),
    sa.UniqueConstraint("work_pool_id", "name"),
)
"""A worker polling a pool, known by its heartbeats."""

# The scheduler inserts runs with an idempotency key per (schedule, time): this unique index is
# what makes two scheduler replicas, or a restart, unable to insert the same run twice.
sa.Index(
    "uq_flow_run__flow_id_idempotency_key",
    flow_run.c.flow_id,
    flow_run.c.idempotency_key,
    unique=True,
    **_not_null("idempotency_key"),
)
# Workers and runners look for Scheduled runs of a queue / of deployments, soonest first.
sa.Index(
    None,
    flow_run.c.work_queue_id,
    flow_run.c.state_type,
    flow_run.c.next_scheduled_start_time,
    **_not_null("work_queue_id"),
)
sa.Index(
    None,
    flow_run.c.deployment_id,
    flow_run.c.state_type,
    flow_run.c.next_scheduled_start_time,
    **_not_null("deployment_id"),
)


# -- background tasks -----------------------------------------------------------------------------
_BACKGROUND = sa.text("flow_run_id IS NULL")
# Task workers look for Scheduled runs of their task keys outside any flow run (``.delay()``);
# runs inside flow runs, the vast majority, stay out of this index and cost it nothing.
sa.Index(
    "ix_task_run__state_type_task_key_background",
    task_run.c.state_type,
    task_run.c.task_key,
    sqlite_where=_BACKGROUND,
)

task_worker = sa.Table(
    "task_worker",
    metadata,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("created", Timestamp(), nullable=False),
    sa.Column("last_heartbeat_time", Timestamp(), nullable=False),
    sa.Column("task_keys", JSON(), nullable=False),
    sa.Column("hostname", sa.String(255)),
    sa.Column("pid", sa.Integer()),
)
"""A task worker (``praefect task serve``), known by its client id and its heartbeats."""

task_run_claim = sa.Table(
    "task_run_claim",
    metadata,
    sa.Column("task_run_id", UUID(), primary_key=True),
    sa.Column("task_worker_id", sa.String(255), nullable=False),
    sa.Column("claimed", Timestamp(), nullable=False),
    sa.Index(None, "task_worker_id"),
)
"""Which task worker took a background task run: when the worker is gone, the run crashed."""

# -- concurrency limits ---------------------------------------------------------------------------
concurrency_limit = sa.Table(
    "concurrency_limit",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("limit", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("denied_slots", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("slot_decay_per_second", sa.Float(), nullable=False, server_default="0"),
    sa.Column("avg_slot_occupancy_seconds", sa.Float(), nullable=False, server_default="2"),
)
"""A global concurrency (or rate) limit; a tag limit is the one named ``tag:<tag>``. How many
slots are taken is never stored here: it is the count of its live ``concurrency_slot`` rows."""

concurrency_slot = sa.Table(
    "concurrency_slot",
    metadata,
    sa.Column("id", UUID(), primary_key=True),
    sa.Column("limit_id", UUID(), nullable=False),
    sa.Column("lease_id", UUID(), nullable=False),
    sa.Column("acquired", Timestamp(), nullable=False),
    sa.Column("expires", Timestamp(), nullable=False),
    sa.Column("holder_type", sa.String(20)),
    sa.Column("holder_id", UUID()),
    sa.Column("owner", sa.String(255)),
    sa.Index(None, "limit_id", "expires"),
    sa.Index(None, "lease_id"),
)
"""One taken slot of a limit: a lease row. A slot is held while ``expires`` is in the future;
its holder renews the lease (all rows of one ``lease_id``) or deletes it, and a holder that
dies stops renewing, so its slots free themselves. ``holder_type``/``holder_id`` name the run
holding it (Prefect's lease holder), ``owner`` the process (``host:pid``)."""


# -- access ---------------------------------------------------------------------------------------
api_key = sa.Table(
    "api_key",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("key_prefix", sa.String(32), nullable=False),
)
"""API keys with a role (``viewer``, ``operator``, ``admin``): the SHA-256 of the key, never the
key itself, and its first characters to recognise it by."""


# -- automations ----------------------------------------------------------------------------------
automation = sa.Table(
    "automation",
    metadata,
    *_base_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("tags", JSON(), nullable=False),
    sa.Column("trigger", JSON(), nullable=False),
    sa.Column("actions", JSON(), nullable=False),
    sa.Column("actions_on_trigger", JSON(), nullable=False),
    sa.Column("actions_on_resolve", JSON(), nullable=False),
    sa.Column("owner_resource", sa.String(255)),
    sa.Index(None, "name"),
    sa.Index(None, "owner_resource"),
)
"""An automation: a trigger (JSON, Prefect's shape) and the actions it runs when it fires."""

automation_related_resource = sa.Table(
    "automation_related_resource",
    metadata,
    sa.Column("automation_id", UUID(), primary_key=True),
    sa.Column("resource_id", sa.String(255), primary_key=True),
    sa.Index(None, "resource_id"),
)
"""The resources an automation acts on or belongs to (``GET /automations/related-to/{id}``)."""

automation_bucket = sa.Table(
    "automation_bucket",
    metadata,
    sa.Column("id", UUID(), primary_key=True),
    sa.Column("automation_id", UUID(), nullable=False),
    sa.Column("trigger_id", sa.String(64), nullable=False),
    sa.Column("bucket_key", sa.String(512), nullable=False),
    sa.Column("start", Timestamp(), nullable=False),
    sa.Column("end", Timestamp(), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_event", JSON()),
    sa.Column("triggered_at", Timestamp()),
    sa.UniqueConstraint("automation_id", "trigger_id", "bucket_key"),
    sa.Index(None, "end"),
)
"""A trigger's open window for one ``for_each`` key: how many events it counted since
``start`` (kept in the database, so a restart loses no count)."""

automation_action_run = sa.Table(
    "automation_action_run",
    metadata,
    *_base_columns(),
    sa.Column("automation_id", UUID(), nullable=False),
    sa.Column("firing_id", UUID(), nullable=False),
    sa.Column("trigger_state", sa.String(16), nullable=False),
    sa.Column("action_index", sa.Integer(), nullable=False),
    sa.Column("action", JSON(), nullable=False),
    sa.Column("event", JSON()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Timestamp(), nullable=False),
    sa.Column("claimed_until", Timestamp()),
    sa.Column("error", sa.Text()),
    sa.Index(None, "status", "next_attempt_at"),
)
"""One action of one firing, from its firing until it is done or has failed for good (the
actions runner's queue, with its retries)."""


def add_postgresql_options() -> None:
    """Make the indexes that are partial on SQLite partial on PostgreSQL too (the same
    ``WHERE``). ``database.get_engine`` calls it for the first PostgreSQL engine, before it
    creates or checks the tables; it is idempotent.

    >>> from sqlalchemy.dialects import postgresql
    >>> add_postgresql_options()
    >>> index = next(i for i in flow_run.indexes if i.name == "uq_flow_run__flow_id_idempotency_key")
    >>> str(sa.schema.CreateIndex(index).compile(dialect=postgresql.dialect())).split(" WHERE ")[1]
    'idempotency_key IS NOT NULL'
    """
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None:
                index.dialect_options["postgresql"]["where"] = where
