"""Variables and artifacts: the ``variable`` and ``artifact`` tables.

Revision ID: 0013_variables_artifacts
Revises: 0012_flow_run_inputs
Create Date: 2026-12-07 21:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0013_variables_artifacts"
down_revision = "0012_flow_run_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "variable",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", praefect.database.types.JSON()),
        sa.Column("tags", praefect.database.types.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variable")),
        sa.UniqueConstraint("name", name=op.f("uq_variable__name")),
    )
    op.create_table(
        "artifact",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=255)),
        sa.Column("type", sa.String(length=64)),
        sa.Column("description", sa.Text()),
        sa.Column("data", praefect.database.types.JSON()),
        sa.Column("metadata_", praefect.database.types.JSON()),
        sa.Column("flow_run_id", praefect.database.types.UUID(length=36)),
        sa.Column("task_run_id", praefect.database.types.UUID(length=36)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact")),
    )
    op.create_index(op.f("ix_artifact__key_created"), "artifact", ["key", "created"])
    op.create_index(op.f("ix_artifact__flow_run_id"), "artifact", ["flow_run_id"])
    op.create_index(op.f("ix_artifact__task_run_id"), "artifact", ["task_run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_artifact__task_run_id"), table_name="artifact")
    op.drop_index(op.f("ix_artifact__flow_run_id"), table_name="artifact")
    op.drop_index(op.f("ix_artifact__key_created"), table_name="artifact")
    op.drop_table("artifact")
    op.drop_table("variable")
