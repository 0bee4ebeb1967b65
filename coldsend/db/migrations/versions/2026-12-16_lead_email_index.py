"""lead (email), for the duplicate check of POST /leads/add and the CSV import (issue 21): probed by email
alone, then filtered to the campaign, list or workspace. Probed with the campaign in the condition,
PostgreSQL could pick (campaign_id, id) instead of (campaign_id, email) whenever it had no statistics for
the campaign, and read every lead of the campaign for each email. Built CONCURRENTLY on PostgreSQL (outside
the migration's transaction), so a populated lead table keeps taking writes meanwhile.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-16 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_EMAIL = sa.text('email IS NOT NULL')


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_lead_email', 'lead', ['email'],
            postgresql_where=HAS_EMAIL, sqlite_where=HAS_EMAIL, postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_lead_email', 'lead', postgresql_concurrently=True, if_exists=True)
