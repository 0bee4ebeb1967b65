"""PostgreSQL's trigger on inserted events recounts the leads' distinct days first and adds the counts last
(issue 21): the rollup rows the counts go into (a campaign's day of opens, of unsubscribes) are shared by
every writer of such an event, and are locked from their update until the transaction commits. The
triggers are reinstalled as coldsend/analytics/rollups.py defines them; SQLite's are unchanged.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-17 00:00:00
"""
from collections.abc import Sequence

from alembic import op

from coldsend.analytics.rollups import create_triggers, drop_triggers

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect != 'postgresql':
        return
    for statement in (*drop_triggers(dialect), *create_triggers(dialect)):
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: the order of the trigger's statements changes no count."""
