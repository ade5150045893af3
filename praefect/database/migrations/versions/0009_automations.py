"""Automations: the ``automation`` table, the resources each one is related to, its triggers'
open windows (``automation_bucket``) and its actions waiting to run or retry
(``automation_action_run``).

Revision ID: 0009_automations
Revises: 0008_prefect_event_names
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from praefect.database.types import JSON, UUID, Timestamp

revision = "0009_automations"
down_revision = "0008_prefect_event_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automation",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("updated", Timestamp(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("tags", JSON(), nullable=False),
        sa.Column("trigger", JSON(), nullable=False),
        sa.Column("actions", JSON(), nullable=False),
        sa.Column("actions_on_trigger", JSON(), nullable=False),
        sa.Column("actions_on_resolve", JSON(), nullable=False),
        sa.Column("owner_resource", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation")),
    )
    op.create_index(op.f("ix_automation__name"), "automation", ["name"])
    op.create_index(op.f("ix_automation__owner_resource"), "automation", ["owner_resource"])
    op.create_table(
        "automation_related_resource",
        sa.Column("automation_id", UUID(), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint(
            "automation_id", "resource_id", name=op.f("pk_automation_related_resource")
        ),
    )
    op.create_index(
        op.f("ix_automation_related_resource__resource_id"),
        "automation_related_resource",
        ["resource_id"],
    )
    op.create_table(
        "automation_bucket",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("automation_id", UUID(), nullable=False),
        sa.Column("trigger_id", sa.String(length=64), nullable=False),
        sa.Column("bucket_key", sa.String(length=512), nullable=False),
        sa.Column("start", Timestamp(), nullable=False),
        sa.Column("end", Timestamp(), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_event", JSON(), nullable=True),
        sa.Column("triggered_at", Timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_bucket")),
        sa.UniqueConstraint(
            "automation_id",
            "trigger_id",
            "bucket_key",
            name=op.f("uq_automation_bucket__automation_id_trigger_id_bucket_key"),
        ),
    )
    op.create_index(op.f("ix_automation_bucket__end"), "automation_bucket", ["end"])
    op.create_table(
        "automation_action_run",
        sa.Column("id", UUID(), nullable=False),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("updated", Timestamp(), nullable=False),
        sa.Column("automation_id", UUID(), nullable=False),
        sa.Column("firing_id", UUID(), nullable=False),
        sa.Column("trigger_state", sa.String(length=16), nullable=False),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("action", JSON(), nullable=False),
        sa.Column("event", JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", Timestamp(), nullable=False),
        sa.Column("claimed_until", Timestamp(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_action_run")),
    )
    op.create_index(
        op.f("ix_automation_action_run__status_next_attempt_at"),
        "automation_action_run",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_table("automation_action_run")
    op.drop_table("automation_bucket")
    op.drop_table("automation_related_resource")
    op.drop_table("automation")
