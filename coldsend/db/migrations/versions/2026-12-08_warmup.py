"""warmup: the planned and sent warmup messages between a pool's mailboxes (where each landed, rescued, filed),
and each account's warmup ramp (days warmed, last day planned, slow-down strikes, receiving-side claim). Numbered
0012 on the warmup branch: renumber on merge if another branch took it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('warmup_message',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('pool_id', sa.Uuid(), nullable=False),
    sa.Column('sender_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('sender_email', sa.String(length=320), nullable=False),
    sa.Column('recipient_email', sa.String(length=320), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('references', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('landed', sa.String(length=10), nullable=True),
    sa.Column('landed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rescued', sa.Boolean(), nullable=False),
    sa.Column('marked_read', sa.Boolean(), nullable=False),
    sa.Column('marked_important', sa.Boolean(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_spam', sa.Boolean(), nullable=False),
    sa.Column('bounced', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['account.id'], name=op.f('fk_warmup_message_recipient_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['account.id'], name=op.f('fk_warmup_message_sender_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_warmup_message_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warmup_message')),
    sa.UniqueConstraint('message_id', name=op.f('uq_warmup_message_message_id')),
    sa.UniqueConstraint('parent_id', name=op.f('uq_warmup_message_parent_id'))
    )
    with op.batch_alter_table('warmup_message', schema=None) as batch_op:
        batch_op.create_index('ix_warmup_message_recipient_id_state', ['recipient_id', 'state'], unique=False)
        batch_op.create_index('ix_warmup_message_sender_id_day', ['sender_id', 'day'], unique=False)
        batch_op.create_index('ix_warmup_message_state_due_at', ['state', 'due_at'], unique=False)

    op.create_table('warmup_ramp',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('slow_days', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_warmup_ramp_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_warmup_ramp'))
    )
    with op.batch_alter_table('warmup_ramp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warmup_ramp_read_at'), ['read_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('warmup_ramp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warmup_ramp_read_at'))

    op.drop_table('warmup_ramp')
    with op.batch_alter_table('warmup_message', schema=None) as batch_op:
        batch_op.drop_index('ix_warmup_message_state_due_at')
        batch_op.drop_index('ix_warmup_message_sender_id_day')
        batch_op.drop_index('ix_warmup_message_recipient_id_state')

    op.drop_table('warmup_message')
