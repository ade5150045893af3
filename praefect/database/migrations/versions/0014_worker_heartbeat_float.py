"""A worker's heartbeat interval in fractional seconds: ``worker.heartbeat_interval_seconds``
becomes a float (an interval under a second was stored as 0, and the worker's window then
fell back to the default 30 s, three times over).

Revision ID: 0014_worker_heartbeat_float
Revises: 0013_variables_artifacts
Create Date: 2026-12-07 22:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_worker_heartbeat_float"
down_revision = "0013_variables_artifacts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.alter_column(
            "heartbeat_interval_seconds", existing_type=sa.Integer(), type_=sa.Float()
        )


def downgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.alter_column(
            "heartbeat_interval_seconds", existing_type=sa.Float(), type_=sa.Integer()
        )
