"""Deployments, deployment schedules, work pools, work queues and workers; a unique
``(flow_id, idempotency_key)`` on flow runs (scheduled runs are inserted once) and indexes for
finding the Scheduled runs of a queue or a deployment.

Revision ID: 0005_deployments
Revises: 0004_run_list_indexes
Create Date: 2026-12-02 00:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from praefect.database.types import JSON, UUID, Timestamp

revision = "0005_deployments"
down_revision = "0004_run_list_indexes"
branch_labels = None
depends_on = None


def _base() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", UUID(), nullable=False),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("updated", Timestamp(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "deployment",
        *_base(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_id", UUID(), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("tags", JSON(), nullable=False),
        sa.Column("parameters", JSON(), nullable=False),
        sa.Column("parameter_openapi_schema", JSON(), nullable=True),
        sa.Column(
            "enforce_parameter_schema", sa.Boolean(), server_default=sa.true(), nullable=False
        ),
        sa.Column("job_variables", JSON(), nullable=False),
        sa.Column("entrypoint", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("pull_steps", JSON(), nullable=True),
        sa.Column("work_pool_name", sa.String(length=255), nullable=True),
        sa.Column("work_queue_name", sa.String(length=255), nullable=True),
        sa.Column("work_queue_id", UUID(), nullable=True),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="NOT_READY", nullable=False),
        sa.Column("last_polled", Timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
        sa.UniqueConstraint("flow_id", "name", name=op.f("uq_deployment__flow_id_name")),
    )
    op.create_index(op.f("ix_deployment__work_queue_id"), "deployment", ["work_queue_id"])
    op.create_table(
        "deployment_schedule",
        *_base(),
        sa.Column("deployment_id", UUID(), nullable=False),
        sa.Column("schedule", JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("max_scheduled_runs", sa.Integer(), nullable=True),
        sa.Column("parameters", JSON(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_schedule")),
        sa.UniqueConstraint(
            "deployment_id", "slug", name=op.f("uq_deployment_schedule__deployment_id_slug")
        ),
    )
    op.create_index(
        op.f("ix_deployment_schedule__deployment_id"), "deployment_schedule", ["deployment_id"]
    )
    op.create_table(
        "work_pool",
        *_base(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("base_job_template", JSON(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="NOT_READY", nullable=False),
        sa.Column("default_queue_id", UUID(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_pool")),
        sa.UniqueConstraint("name", name=op.f("uq_work_pool__name")),
    )
    op.create_table(
        "work_queue",
        *_base(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("work_pool_id", UUID(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="NOT_READY", nullable=False),
        sa.Column("last_polled", Timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queue")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_work_queue__work_pool_id_name")),
    )
    op.create_table(
        "worker",
        *_base(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("work_pool_id", UUID(), nullable=False),
        sa.Column("last_heartbeat_time", Timestamp(), nullable=False),
        sa.Column("heartbeat_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="ONLINE", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_worker__work_pool_id_name")),
    )
    op.create_index(
        "uq_flow_run__flow_id_idempotency_key",
        "flow_run",
        ["flow_id", "idempotency_key"],
        unique=True,
    )
    op.create_index(
        op.f("ix_flow_run__work_queue_id_state_type_next_scheduled_start_time"),
        "flow_run",
        ["work_queue_id", "state_type", "next_scheduled_start_time"],
    )
    op.create_index(
        op.f("ix_flow_run__deployment_id_state_type_next_scheduled_start_time"),
        "flow_run",
        ["deployment_id", "state_type", "next_scheduled_start_time"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_flow_run__deployment_id_state_type_next_scheduled_start_time"), "flow_run"
    )
    op.drop_index(
        op.f("ix_flow_run__work_queue_id_state_type_next_scheduled_start_time"), "flow_run"
    )
    op.drop_index("uq_flow_run__flow_id_idempotency_key", "flow_run")
    op.drop_table("worker")
    op.drop_table("work_queue")
    op.drop_table("work_pool")
    op.drop_index(op.f("ix_deployment_schedule__deployment_id"), "deployment_schedule")
    op.drop_table("deployment_schedule")
    op.drop_index(op.f("ix_deployment__work_queue_id"), "deployment")
    op.drop_table("deployment")
