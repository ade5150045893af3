"""Concurrency limits and their slots as lease rows: ``concurrency_limit``, ``concurrency_slot``.

Revision ID: 0011_concurrency_limits
Revises: 0010_task_workers
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0011_concurrency_limits"
down_revision = "0010_task_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concurrency_limit",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("denied_slots", sa.Integer(), server_default="0", nullable=False),
        sa.Column("slot_decay_per_second", sa.Float(), server_default="0", nullable=False),
        sa.Column("avg_slot_occupancy_seconds", sa.Float(), server_default="2", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concurrency_limit")),
        sa.UniqueConstraint("name", name=op.f("uq_concurrency_limit__name")),
    )
    op.create_table(
        "concurrency_slot",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("limit_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("lease_id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("acquired", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("expires", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("holder_type", sa.String(length=20), nullable=True),
        sa.Column("holder_id", praefect.database.types.UUID(length=36), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concurrency_slot")),
    )
    op.create_index(
        op.f("ix_concurrency_slot__limit_id_expires"),
        "concurrency_slot",
        ["limit_id", "expires"],
    )
    op.create_index(op.f("ix_concurrency_slot__lease_id"), "concurrency_slot", ["lease_id"])


def downgrade() -> None:
    op.drop_table("concurrency_slot")
    op.drop_table("concurrency_limit")
