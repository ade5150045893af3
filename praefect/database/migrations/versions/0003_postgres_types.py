"""PostgreSQL: native ``uuid`` ids, ``jsonb`` documents, newest-first indexes whose NULLS
placement matches the queries' (nothing changes on SQLite).

Databases made by 0001/0002 on PostgreSQL may hold ids as ``varchar(36)`` (created before ids
were native there) and JSON as ``json``; this brings both to the types ``tables`` declares.
Columns already of the right type are left alone.

Revision ID: 0003_postgres_types
Revises: 0002_blocks
Create Date: 2026-11-25 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_postgres_types"
down_revision = "0002_blocks"
branch_labels = None
depends_on = None

UUID_COLUMNS = {
    "block_document": ("id", "block_type_id"),
    "block_type": ("id",),
    "event": ("id", "follows"),
    "flow": ("id",),
    "flow_run": (
        "id",
        "flow_id",
        "deployment_id",
        "work_queue_id",
        "parent_task_run_id",
        "state_id",
    ),
    "flow_run_state": ("id", "flow_run_id"),
    "log": ("id", "flow_run_id", "task_run_id"),
    "task_run": ("id", "flow_run_id", "state_id"),
    "task_run_state": ("id", "task_run_id"),
}
JSON_COLUMNS = {
    "block_document": ("data",),
    "event": ("resource", "related", "payload"),
    "flow": ("tags",),
    "flow_run": ("parameters", "job_variables", "empirical_policy", "tags"),
    "flow_run_state": ("state_details", "data"),
    "task_run": ("task_inputs", "empirical_policy", "tags"),
    "task_run_state": ("state_details", "data"),
}


def _column_types(table: str) -> dict[str, str]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :table"
        ),
        {"table": table},
    )
    return {name: kind for name, kind in rows}


def _convert(columns: dict[str, tuple[str, ...]], target: str) -> None:
    for table, names in columns.items():
        current = _column_types(table)
        changes = [
            f'ALTER COLUMN "{name}" TYPE {target} USING "{name}"::text::{target}'
            for name in names
            if name in current and current[name] != target
        ]
        if changes:
            op.execute(f'ALTER TABLE "{table}" ' + ", ".join(changes))


NEWEST_FIRST_INDEXES = {
    "ix_flow_run__created_desc": "created",
    "ix_flow_run__expected_start_time_desc": "expected_start_time",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _convert(UUID_COLUMNS, "uuid")
    _convert(JSON_COLUMNS, "jsonb")
    for name, column in NEWEST_FIRST_INDEXES.items():
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
        op.execute(f'CREATE INDEX "{name}" ON flow_run ({column} DESC NULLS LAST, id DESC)')


def downgrade() -> None:
    # uuid and jsonb are what this version of praefect reads and writes; there is nothing to
    # undo that older code could not read (it never ran on PostgreSQL before this revision).
    pass
