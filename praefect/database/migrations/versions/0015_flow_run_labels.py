"""Flow-run labels: ``flow_run.labels``, the key-value labels Prefect's clients set (a worker
labels each run it submits with its name and type through ``PATCH /flow_runs/{id}/labels``).

Revision ID: 0015_flow_run_labels
Revises: 0014_worker_heartbeat_float
Create Date: 2026-12-07 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from praefect.database.types import JSON

revision = "0015_flow_run_labels"
down_revision = "0014_worker_heartbeat_float"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("flow_run", sa.Column("labels", JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.drop_column("labels")
