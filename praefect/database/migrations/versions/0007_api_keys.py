"""API keys with roles: the ``api_key`` table (a key's SHA-256, never the key).

Revision ID: 0007_api_keys
Revises: 0006_partial_run_indexes
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import praefect.database.types

revision = "0007_api_keys"
down_revision = "0006_partial_run_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", praefect.database.types.UUID(length=36), nullable=False),
        sa.Column("created", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", praefect.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("name", name=op.f("uq_api_key__name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key__key_hash")),
    )


def downgrade() -> None:
    op.drop_table("api_key")
