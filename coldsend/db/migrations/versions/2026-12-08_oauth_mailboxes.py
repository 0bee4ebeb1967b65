"""oauth mailboxes: account.oauth_* (the provider and its tokens, encrypted) and oauth_session (the
connection flow's sessions)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oauth_provider', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('oauth_refresh_token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('oauth_access_token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('oauth_token_expires_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('oauth_session',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('error', sa.String(length=100), nullable=True),
    sa.Column('error_description', sa.Text(), nullable=True),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('api_key_id', sa.Uuid(), nullable=True),
    sa.Column('key_workspace_id', sa.Uuid(), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=1000), nullable=True),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_oauth_session_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_session'))
    )
    with op.batch_alter_table('oauth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_session_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_session_key_workspace_id'), ['key_workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oauth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_session_key_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_session_workspace_id'))
    op.drop_table('oauth_session')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('oauth_token_expires_at')
        batch_op.drop_column('oauth_access_token_encrypted')
        batch_op.drop_column('oauth_refresh_token_encrypted')
        batch_op.drop_column('oauth_provider')
