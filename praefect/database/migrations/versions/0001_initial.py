"""Initial schema: flows, runs, state histories, logs and events.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 01:52:32.185402
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("occurred", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("follows", praefect.database.types.UUID(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event__event_occurred"), ["event", "occurred"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event__occurred"), ["occurred"], unique=False)

    op.create_table(
        "flow",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow")),
        sa.UniqueConstraint("name", name=op.f("uq_flow__name")),
    )
    op.create_table(
        "flow_run",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("flow_version", sa.String(length=255), nullable=True),
        sa.Column("deployment_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("deployment_version", sa.String(length=255), nullable=True),
        sa.Column("work_queue_name", sa.String(length=255), nullable=True),
        sa.Column("work_queue_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("job_variables", sa.JSON(), nullable=True),
        sa.Column("parent_task_run_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("infrastructure_pid", sa.String(length=255), nullable=True),
        sa.Column("entrypoint", sa.Text(), nullable=True),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("heartbeat", praefect.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("auto_scheduled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("state_type", sa.String(length=20), nullable=True),
        sa.Column("state_name", sa.String(length=100), nullable=True),
        sa.Column(
            "state_timestamp", praefect.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("run_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "expected_start_time", praefect.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column(
            "next_scheduled_start_time",
            praefect.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column("start_time", praefect.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("end_time", praefect.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("total_run_time", sa.Float(), server_default="0", nullable=False),
        sa.Column("empirical_policy", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run")),
    )
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_run__created_desc", [sa.text("created DESC"), "id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_run__expected_start_time_desc",
            [sa.text("expected_start_time DESC"), "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_flow_run__deployment_id_idempotency_key"),
            ["deployment_id", "idempotency_key"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_flow_run__flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_flow_run__parent_task_run_id"), ["parent_task_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flow_run__state_type"), ["state_type"], unique=False)

    op.create_table(
        "flow_run_state",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("flow_run_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timestamp", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("state_details", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_state")),
    )
    with op.batch_alter_table("flow_run_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_run_state__flow_run_id_timestamp"),
            ["flow_run_id", "timestamp"],
            unique=False,
        )

    op.create_table(
        "log",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("flow_run_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("task_run_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log")),
    )
    with op.batch_alter_table("log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_log__flow_run_id_timestamp"), ["flow_run_id", "timestamp"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_log__task_run_id"), ["task_run_id"], unique=False)

    op.create_table(
        "task_run",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_run_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("task_key", sa.String(length=255), nullable=False),
        sa.Column("dynamic_key", sa.String(length=255), nullable=False),
        sa.Column("task_version", sa.String(length=255), nullable=True),
        sa.Column("cache_key", sa.String(length=1000), nullable=True),
        sa.Column(
            "cache_expiration", praefect.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("task_inputs", sa.JSON(), nullable=False),
        sa.Column("flow_run_run_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("state_type", sa.String(length=20), nullable=True),
        sa.Column("state_name", sa.String(length=100), nullable=True),
        sa.Column(
            "state_timestamp", praefect.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("run_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "expected_start_time", praefect.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column(
            "next_scheduled_start_time",
            praefect.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column("start_time", praefect.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("end_time", praefect.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("total_run_time", sa.Float(), server_default="0", nullable=False),
        sa.Column("empirical_policy", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run")),
    )
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_run__flow_run_id"), ["flow_run_id"], unique=False)

    op.create_table(
        "task_run_state",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("task_run_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timestamp", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("state_details", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run_state")),
    )
    with op.batch_alter_table("task_run_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_run_state__task_run_id_timestamp"),
            ["task_run_id", "timestamp"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("task_run_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_run_state__task_run_id_timestamp"))

    op.drop_table("task_run_state")
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_run__flow_run_id"))

    op.drop_table("task_run")
    with op.batch_alter_table("log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log__task_run_id"))
        batch_op.drop_index(batch_op.f("ix_log__flow_run_id_timestamp"))

    op.drop_table("log")
    with op.batch_alter_table("flow_run_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_run_state__flow_run_id_timestamp"))

    op.drop_table("flow_run_state")
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_run__state_type"))
        batch_op.drop_index(batch_op.f("ix_flow_run__parent_task_run_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run__flow_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run__deployment_id_idempotency_key"))
        batch_op.drop_index("ix_flow_run__expected_start_time_desc")
        batch_op.drop_index("ix_flow_run__created_desc")

    op.drop_table("flow_run")
    op.drop_table("flow")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event__occurred"))
        batch_op.drop_index(batch_op.f("ix_event__event_occurred"))

    op.drop_table("event")
