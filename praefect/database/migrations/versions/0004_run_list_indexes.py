"""Flow-run list indexes: ``(state_type, created)`` and ``(flow_id, created)`` replace the
single-column ``state_type`` and ``flow_id`` indexes, so the newest runs in a state, or of a flow,
are read in index order instead of sorting every matching run.

Revision ID: 0004_run_list_indexes
Revises: 0003_postgres_types
Create Date: 2026-11-26 00:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004_run_list_indexes"
down_revision = "0003_postgres_types"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_flow_run__state_type", table_name="flow_run")
    op.drop_index("ix_flow_run__flow_id", table_name="flow_run")
    op.create_index("ix_flow_run__state_type_created", "flow_run", ["state_type", "created"])
    op.create_index("ix_flow_run__flow_id_created", "flow_run", ["flow_id", "created"])


def downgrade() -> None:
    op.drop_index("ix_flow_run__flow_id_created", table_name="flow_run")
    op.drop_index("ix_flow_run__state_type_created", table_name="flow_run")
    op.create_index("ix_flow_run__flow_id", "flow_run", ["flow_id"])
    op.create_index("ix_flow_run__state_type", "flow_run", ["state_type"])
