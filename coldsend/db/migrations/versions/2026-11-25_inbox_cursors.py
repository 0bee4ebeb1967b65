"""inbox cursors: how far the inbox loop has read each account's INBOX

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_cursor',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('uid_validity', sa.BigInteger(), nullable=True),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_inbox_cursor_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_inbox_cursor'))
    )
    op.create_index(op.f('ix_inbox_cursor_checked_at'), 'inbox_cursor', ['checked_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_inbox_cursor_checked_at'), table_name='inbox_cursor')
    op.drop_table('inbox_cursor')
