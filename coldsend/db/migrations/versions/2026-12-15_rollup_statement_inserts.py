"""PostgreSQL counts inserted events a statement at a time (issue 21): the row trigger on `event` inserts
(fifteen statements per event, the same campaign-day rollup row updated once per event of a batch) gives
way to a statement trigger over the inserted rows, one upsert per rollup row touched and a set-based recount
of the leads concerned. The triggers are reinstalled as coldsend/analytics/rollups.py defines them; SQLite
has no statement triggers and keeps its row triggers.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-15 00:00:00
"""
from collections.abc import Sequence

from alembic import op

from coldsend.analytics.rollup_sql import Shape
from coldsend.analytics.rollups import create_triggers, drop_triggers

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect != 'postgresql':
        return
    for statement in (*drop_triggers(dialect), *create_triggers(dialect, shape=Shape.PLAIN)):
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: 0017 installs the triggers as the code defines them, and so does this."""
