"""The day rollups get a `stripe` in their key (issue 21), as the lead tally did in 0022. At 200 tracked
opens a second on a million leads, each open waited on the one before: every open of a campaign's day
goes into the same analytics_day, analytics_step_day and analytics_account_day rows, locked from the
event's insert until its transaction commits.

On PostgreSQL each writing connection now counts into a stripe of its own (1 to 8); the rows already
there are stripe 0, where the recount and the fold (coldsend/analytics/folding.py) put settled days. A
partial index finds the striped rows for the fold. Nothing is recounted: the sums do not change.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-18 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coldsend.analytics.rollup_sql import DAY_COUNTERS, DAY_DETAILS, DAY_KEYS, Shape
from coldsend.analytics.rollups import create_triggers, drop_triggers

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRIPED = sa.text('stripe <> 0')


def _primary_key(table: str, columns: list[str]) -> None:
    name = f'pk_{table}'
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(table, recreate='always') as batch:
            batch.drop_constraint(name, type_='primary')
            batch.create_primary_key(name, columns)
        return
    op.drop_constraint(name, table, type_='primary')
    op.create_primary_key(name, table, columns)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_triggers(dialect):
        op.execute(statement)
    for table, key in DAY_KEYS.items():
        op.add_column(table, sa.Column('stripe', sa.SmallInteger(), server_default='0', nullable=False))
        _primary_key(table, [*key, 'stripe'])
        op.create_index(
            f'ix_{table}_striped_day', table, ['day'], postgresql_where=STRIPED, sqlite_where=STRIPED
        )
    for statement in create_triggers(dialect, shape=Shape.STRIPED):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_triggers(dialect):
        op.execute(statement)
    for table, key in DAY_KEYS.items():
        grouped = ', '.join((*key, *DAY_DETAILS[table]))
        counters = DAY_COUNTERS[table]
        sums = ', '.join(f'sum({counter}) AS {counter}' for counter in counters)
        op.execute(f'CREATE TEMPORARY TABLE folded AS SELECT {grouped}, {sums} FROM {table} GROUP BY {grouped}')
        op.execute(f'DELETE FROM {table}')
        op.execute(f'INSERT INTO {table} ({grouped}, {", ".join(counters)}) SELECT * FROM folded')
        op.execute('DROP TABLE folded')
        op.drop_index(f'ix_{table}_striped_day', table_name=table)
        _primary_key(table, list(key))
        if dialect == 'sqlite':
            with op.batch_alter_table(table) as batch:
                batch.drop_column('stripe')
        else:
            op.drop_column(table, 'stripe')
    for statement in create_triggers(dialect, shape=Shape.TALLY_STRIPED):
        op.execute(statement)
