"""Background tasks: the ``task_worker`` and ``task_run_claim`` tables, and a partial index of
task runs outside any flow run by state and task key (what task workers look up).

Revision ID: 0010_task_workers
Revises: 0009_automations
Create Date: 2026-12-07 21:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0010_task_workers"
down_revision = "0009_automations"
branch_labels = None
depends_on = None

_BACKGROUND = sa.text("flow_run_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "task_worker",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column(
            "last_heartbeat_time",
            praefect.database.types.Timestamp(timezone=True),
            nullable=False,
        ),
        sa.Column("task_keys", praefect.database.types.JSON(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_worker")),
    )
    op.create_table(
        "task_run_claim",
        sa.Column("task_run_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("task_worker_id", sa.String(length=255), nullable=False),
        sa.Column("claimed", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_run_id", name=op.f("pk_task_run_claim")),
    )
    op.create_index(
        "ix_task_run_claim__task_worker_id", "task_run_claim", ["task_worker_id"], unique=False
    )
    op.create_index(
        "ix_task_run__state_type_task_key_background",
        "task_run",
        ["state_type", "task_key"],
        unique=False,
        sqlite_where=_BACKGROUND,
        postgresql_where=_BACKGROUND,
    )


def downgrade() -> None:
    op.drop_index("ix_task_run__state_type_task_key_background", table_name="task_run")
    op.drop_index("ix_task_run_claim__task_worker_id", table_name="task_run_claim")
    op.drop_table("task_run_claim")
    op.drop_table("task_worker")
