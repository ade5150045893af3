"""Prefect's event names: stored ``praefect.flow-run.*`` and ``praefect.task-run.*`` events
become ``prefect.flow-run.*`` / ``prefect.task-run.*`` about ``prefect.flow-run.<id>``, their
labels ``prefect.state-type`` / ``prefect.state-name`` and related ids ``prefect.flow.<id>``,
``prefect.flow-run.<id>``, ``prefect.tag.<tag>``. A user's own events are left as they are.

Revision ID: 0008_prefect_event_names
Revises: 0007_api_keys
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008_prefect_event_names"
down_revision = "0007_api_keys"
branch_labels = None
depends_on = None

_KINDS = ("flow-run", "task-run")
# JSON texts to rewrite: a quote before each, so only whole ids and label keys match
_RESOURCE = ('"{p}.flow-run.', '"{p}.task-run.', '"{p}.state-type"', '"{p}.state-name"')
_RELATED = ('"{p}.flow-run.', '"{p}.flow.', '"{p}.tag.')


def _rewrite(column: str, texts: tuple[str, ...], old: str, new: str, postgres: bool) -> str:
    sql = f"{column}::text" if postgres else column
    for text in texts:
        sql = f"replace({sql}, '{text.format(p=old)}', '{text.format(p=new)}')"
    return f"({sql})::jsonb" if postgres else sql


def _rename(old: str, new: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    cut = len(old) + 2  # SQL strings count from 1
    names = " OR ".join(f"event LIKE '{old}.{kind}.%'" for kind in _KINDS)
    op.execute(
        f"UPDATE event SET event = '{new}.' || substr(event, {cut}), "
        f"resource_id = '{new}.' || substr(resource_id, {cut}), "
        f"resource = {_rewrite('resource', _RESOURCE, old, new, postgres)}, "
        f"related = {_rewrite('related', _RELATED, old, new, postgres)} "
        f"WHERE {names}"
    )


def upgrade() -> None:
    _rename("praefect", "prefect")


def downgrade() -> None:
    _rename("prefect", "praefect")
