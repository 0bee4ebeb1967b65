"""lead indexes for a million leads (issue 21): the scheduler's live leads of a campaign in the order
it takes new ones and by their last step's time (follow-ups due), and a campaign's leads by id for
POST /leads/list. Built CONCURRENTLY on PostgreSQL (outside the migration's transaction), so a populated
lead table keeps taking writes meanwhile. Numbered 0018, after rollups' 0017.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-13 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text('status = 1 AND subsequence_id IS NULL')
IN_CAMPAIGN = sa.text('campaign_id IS NOT NULL')


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_lead_campaign_id_live', 'lead', ['campaign_id', 'timestamp_created', 'id'],
            postgresql_where=LIVE, sqlite_where=LIVE, postgresql_concurrently=True, if_not_exists=True,
        )
        op.create_index(
            'ix_lead_campaign_id_last_step', 'lead', ['campaign_id', 'last_step_timestamp_executed'],
            postgresql_where=LIVE, sqlite_where=LIVE, postgresql_concurrently=True, if_not_exists=True,
        )
        op.create_index(
            'ix_lead_campaign_id_id', 'lead', ['campaign_id', 'id'],
            postgresql_where=IN_CAMPAIGN, sqlite_where=IN_CAMPAIGN, postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_lead_campaign_id_id', 'lead', postgresql_concurrently=True, if_exists=True)
        op.drop_index('ix_lead_campaign_id_last_step', 'lead', postgresql_concurrently=True, if_exists=True)
        op.drop_index('ix_lead_campaign_id_live', 'lead', postgresql_concurrently=True, if_exists=True)
