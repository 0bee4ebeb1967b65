"""Rollup rows that concurrent writers share are locked for less (issue 21). At 200 unsubscribes a second
on a million leads, each waited on the one before: every lead of a campaign that changes status moves
between the same few lead tally rows, and every event of a kind goes into the campaign's row of the day.

- `analytics_lead_tally` gets a `stripe` in its key: on PostgreSQL a lead's counts go into one of eight
  rows of its key, by its id (SQLite has one writer at a time and keeps one). Recounted from the leads.
- PostgreSQL's trigger on inserted events recounts the leads' distinct days first and adds the counts
  last, so the shared rows are locked for the end of the statement only.

The triggers are reinstalled as coldsend/analytics/rollups.py defines them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-17 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coldsend.analytics.rollups import create_triggers, drop_triggers, tally_rebuild
from coldsend.analytics.rollup_sql import LEAD_KEY, Shape

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'analytics_lead_tally'
PRIMARY_KEY = 'pk_analytics_lead_tally'


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(TABLE, recreate='always') as batch:
            batch.drop_constraint(PRIMARY_KEY, type_='primary')
            batch.create_primary_key(PRIMARY_KEY, columns)
        return
    op.drop_constraint(PRIMARY_KEY, TABLE, type_='primary')
    op.create_primary_key(PRIMARY_KEY, TABLE, columns)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_triggers(dialect):
        op.execute(statement)
    op.add_column(TABLE, sa.Column('stripe', sa.SmallInteger(), server_default='0', nullable=False))
    _primary_key([*LEAD_KEY, 'stripe'])
    if dialect == 'postgresql':
        op.execute(f'DELETE FROM {TABLE}')
        op.execute(tally_rebuild(dialect))
    for statement in create_triggers(dialect, shape=Shape.TALLY_STRIPED):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_triggers(dialect):
        op.execute(statement)
    key = ', '.join(LEAD_KEY)
    op.execute(
        f'CREATE TEMPORARY TABLE tally_merged AS SELECT {key}, workspace_id, sum(leads) AS leads '
        f'FROM {TABLE} GROUP BY {key}, workspace_id'
    )
    op.execute(f'DELETE FROM {TABLE}')
    op.execute(f'INSERT INTO {TABLE} ({key}, workspace_id, leads, stripe) SELECT *, 0 FROM tally_merged')
    op.execute('DROP TABLE tally_merged')
    _primary_key(list(LEAD_KEY))
    if dialect == 'sqlite':
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_column('stripe')
    else:
        op.drop_column(TABLE, 'stripe')
    for statement in create_triggers(dialect, shape=Shape.PLAIN):
        op.execute(statement)
