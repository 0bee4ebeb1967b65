"""analytics rollups: analytics_day, analytics_span, analytics_step_day, analytics_account_day,
analytics_lead_tally, kept by triggers on event and lead and backfilled from them; an index on
event.lead_id (a lead's events, looked up by the triggers and by a lead's deletion). Numbered 0017, after placement's 0016.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coldsend.analytics.rollup_sql import Shape
from coldsend.analytics.rollups import create_triggers, drop_triggers, rebuild_statements


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sequence() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('campaign_id', sa.Uuid(), nullable=True),
        sa.Column('subsequence_id', sa.Uuid(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table('analytics_day',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *_sequence(),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('leads', sa.BigInteger(), nullable=False),
    sa.Column('firsts', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('sequence_id', 'kind', 'day', name=op.f('pk_analytics_day'))
    )
    op.create_index('ix_analytics_day_campaign_id_day', 'analytics_day', ['campaign_id', 'day'], unique=False)
    op.create_table('analytics_span',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('prev_day', sa.Date(), nullable=False),
    *_sequence(),
    sa.Column('leads', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('sequence_id', 'kind', 'day', 'prev_day', name=op.f('pk_analytics_span'))
    )
    op.create_index('ix_analytics_span_campaign_id_day', 'analytics_span', ['campaign_id', 'day'], unique=False)
    op.create_table('analytics_step_day',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('variant', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *_sequence(),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('sequence_id', 'step', 'variant', 'kind', 'day', name=op.f('pk_analytics_step_day'))
    )
    op.create_index(
        'ix_analytics_step_day_campaign_id_day', 'analytics_step_day', ['campaign_id', 'day'], unique=False
    )
    op.create_table('analytics_account_day',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('account_email', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('leads', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'account_email', 'kind', 'day', name=op.f('pk_analytics_account_day'))
    )
    op.create_table('analytics_lead_tally',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('interest', sa.Integer(), nullable=False),
    sa.Column('change_day', sa.Date(), nullable=False),
    sa.Column('replied_step', sa.Integer(), nullable=False),
    sa.Column('replied_variant', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('leads', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint(
        'campaign_id', 'status', 'interest', 'change_day', 'replied_step', 'replied_variant',
        name=op.f('pk_analytics_lead_tally'),
    )
    )
    op.create_index('ix_event_lead_id', 'event', ['lead_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in rebuild_statements(dialect, shape=Shape.PLAIN):
        op.execute(statement)
    for statement in create_triggers(dialect, shape=Shape.PLAIN):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index('ix_event_lead_id', table_name='event')
    op.drop_table('analytics_lead_tally')
    op.drop_table('analytics_account_day')
    op.drop_index('ix_analytics_step_day_campaign_id_day', table_name='analytics_step_day')
    op.drop_table('analytics_step_day')
    op.drop_index('ix_analytics_span_campaign_id_day', table_name='analytics_span')
    op.drop_table('analytics_span')
    op.drop_index('ix_analytics_day_campaign_id_day', table_name='analytics_day')
    op.drop_table('analytics_day')
