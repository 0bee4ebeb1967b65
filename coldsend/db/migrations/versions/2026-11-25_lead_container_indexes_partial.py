"""lead: the (campaign_id, email) and (list_id, email) indexes hold only the leads of a campaign or a list

A lead is in a campaign or in a list, never both, so each lead was also an entry under NULL in the
other index: one index write per lead added, and index pages, for nothing. Every query that uses
them compares the column with a value, which implies IS NOT NULL on both databases' planners.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (('ix_lead_campaign_id_email', 'campaign_id'), ('ix_lead_list_id_email', 'list_id'))


def upgrade() -> None:
    for name, column in _INDEXES:
        op.drop_index(name, table_name='lead')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(
            name, 'lead', [column, 'email'], unique=False, postgresql_where=where, sqlite_where=where
        )


def downgrade() -> None:
    for name, column in _INDEXES:
        op.drop_index(name, table_name='lead')
        op.create_index(name, 'lead', [column, 'email'], unique=False)
