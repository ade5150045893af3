"""Saved inputs of flow runs: the ``flow_run_input`` table (pause and suspend with input,
``send_input``).

Revision ID: 0012_flow_run_inputs
Revises: 0011_concurrency_limits
Create Date: 2026-12-07 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0012_flow_run_inputs"
down_revision = "0011_concurrency_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_run_input",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("flow_run_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_input")),
        sa.UniqueConstraint("flow_run_id", "key", name=op.f("uq_flow_run_input__flow_run_id_key")),
    )


def downgrade() -> None:
    op.drop_table("flow_run_input")
