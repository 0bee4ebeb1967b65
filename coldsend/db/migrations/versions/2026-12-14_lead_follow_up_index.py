"""The scheduler's follow-ups from one index (issue 21): a campaign's live leads by the step they are at
(last_step_id), when it went and id (the scheduler's order, so a read stops at its limit), replacing the
index on the time alone, with which PostgreSQL still joined every live lead whose wait was over to its
sends to find the ones at a step. Built CONCURRENTLY on PostgreSQL (outside the migration's transaction),
so a populated lead table keeps taking writes meanwhile.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-14 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text('status = 1 AND subsequence_id IS NULL')


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_lead_campaign_id_last_step_id', 'lead',
            ['campaign_id', 'last_step_id', 'last_step_timestamp_executed', 'id'],
            postgresql_where=LIVE, sqlite_where=LIVE, postgresql_concurrently=True, if_not_exists=True,
        )
        op.drop_index('ix_lead_campaign_id_last_step', 'lead', postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_lead_campaign_id_last_step', 'lead', ['campaign_id', 'last_step_timestamp_executed'],
            postgresql_where=LIVE, sqlite_where=LIVE, postgresql_concurrently=True, if_not_exists=True,
        )
        op.drop_index('ix_lead_campaign_id_last_step_id', 'lead', postgresql_concurrently=True, if_exists=True)
