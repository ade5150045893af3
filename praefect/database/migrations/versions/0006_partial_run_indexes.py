"""Flow-run indexes on columns most runs leave NULL (parent task run, deployment, work queue,
idempotency key) become partial (``WHERE column IS NOT NULL``): a run that is not in an index
costs its INSERT nothing there, and lookups by value still use them.

Revision ID: 0006_partial_run_indexes
Revises: 0005_deployments
Create Date: 2026-12-02 00:00:00.000000
"""

from __future__ import annotations

from alembic import op

from praefect.database.types import not_null

revision = "0006_partial_run_indexes"
down_revision = "0005_deployments"
branch_labels = None
depends_on = None

# name, columns, unique, the column whose NULLs stay out
_INDEXES = (
    ("ix_flow_run__parent_task_run_id", ["parent_task_run_id"], False, "parent_task_run_id"),
    (
        "ix_flow_run__deployment_id_idempotency_key",
        ["deployment_id", "idempotency_key"],
        False,
        "deployment_id",
    ),
    (
        "uq_flow_run__flow_id_idempotency_key",
        ["flow_id", "idempotency_key"],
        True,
        "idempotency_key",
    ),
    (
        "ix_flow_run__work_queue_id_state_type_next_scheduled_start_time",
        ["work_queue_id", "state_type", "next_scheduled_start_time"],
        False,
        "work_queue_id",
    ),
    (
        "ix_flow_run__deployment_id_state_type_next_scheduled_start_time",
        ["deployment_id", "state_type", "next_scheduled_start_time"],
        False,
        "deployment_id",
    ),
)


def upgrade() -> None:
    for name, columns, unique, column in _INDEXES:
        op.drop_index(name, table_name="flow_run")
        op.create_index(name, "flow_run", columns, unique=unique, **not_null(column))


def downgrade() -> None:
    for name, columns, unique, _ in _INDEXES:
        op.drop_index(name, table_name="flow_run")
        op.create_index(name, "flow_run", columns, unique=unique)
