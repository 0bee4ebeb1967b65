"""dashboard sign-in: user_password (Argon2id hashes), dashboard_session (server-side browser sessions),
sign_in_link (one-time links to set a password). Numbered 0015, after placement's 0014.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 00:00:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record() -> list["sa.Column[Any]"]:
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('user_password',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    *_record(),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_password_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_password')),
    sa.UniqueConstraint('user_id', name=op.f('uq_user_password_user_id'))
    )
    op.create_table('dashboard_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('member_workspace_id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('notice_kind', sa.String(length=10), nullable=True),
    sa.Column('notice', sa.Text(), nullable=True),
    *_record(),
    sa.ForeignKeyConstraint(['member_workspace_id'], ['workspace.id'], name=op.f('fk_dashboard_session_member_workspace_id_workspace'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_dashboard_session_user_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_dashboard_session_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_dashboard_session_token_hash'))
    )
    op.create_index(op.f('ix_dashboard_session_user_id'), 'dashboard_session', ['user_id'], unique=False)
    op.create_table('sign_in_link',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    *_record(),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sign_in_link_user_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_sign_in_link_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_link_token_hash'))
    )
    op.create_index(op.f('ix_sign_in_link_user_id'), 'sign_in_link', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_link_user_id'), table_name='sign_in_link')
    op.drop_table('sign_in_link')
    op.drop_index(op.f('ix_dashboard_session_user_id'), table_name='dashboard_session')
    op.drop_table('dashboard_session')
    op.drop_table('user_password')
