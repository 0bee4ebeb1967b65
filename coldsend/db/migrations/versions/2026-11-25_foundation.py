"""foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 09:39:17.615659
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('workspace',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('scheduled_for_removal_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plan_id', sa.String(length=100), nullable=True),
    sa.Column('add_unsub_to_block', sa.Boolean(), nullable=True),
    sa.Column('default_opportunity_value', sa.Float(), nullable=True),
    sa.Column('org_logo_url', sa.String(length=2048), nullable=True),
    sa.Column('org_client_domain', sa.String(length=253), nullable=True),
    sa.Column('whitelabel_verification_token', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_workspace_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace'))
    )
    op.create_table('api_key',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_api_key_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activity_type', sa.Integer(), nullable=False),
    sa.Column('user_agent', sa.String(length=1000), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('user_name', sa.String(length=400), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('from_api', sa.Boolean(), nullable=False),
    sa.Column('api_key_id', sa.Uuid(), nullable=True),
    sa.Column('affected_count', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('webhook_id', sa.Uuid(), nullable=True),
    sa.Column('subsequence_id', sa.Uuid(), nullable=True),
    sa.Column('list_id', sa.Uuid(), nullable=True),
    sa.Column('audit_metadata', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_audit_log_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_workspace_id_id', ['workspace_id', 'id'], unique=False)

    op.create_table('background_job',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('entity_type', sa.String(length=50), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index('ix_background_job_status_run_after', ['status', 'run_after'], unique=False)
        batch_op.create_index('ix_background_job_workspace_id_created_at', ['workspace_id', 'created_at'], unique=False)

    op.create_table('workspace_group_member',
    sa.Column('admin_workspace_id', sa.Uuid(), nullable=False),
    sa.Column('sub_workspace_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['admin_workspace_id'], ['workspace.id'], name=op.f('fk_workspace_group_member_admin_workspace_id_workspace')),
    sa.ForeignKeyConstraint(['sub_workspace_id'], ['workspace.id'], name=op.f('fk_workspace_group_member_sub_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_group_member'))
    )
    with op.batch_alter_table('workspace_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_group_member_admin_workspace_id'), ['admin_workspace_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workspace_group_member_sub_workspace_id'), ['sub_workspace_id'], unique=False)

    op.create_table('workspace_member',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('nickname', sa.String(length=80), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('issuer_id', sa.Uuid(), nullable=True),
    sa.Column('permissions', sa.JSON(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_workspace_member_user_id_user')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_workspace_member_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_member')),
    sa.UniqueConstraint('workspace_id', 'email', name=op.f('uq_workspace_member_workspace_id_email'))
    )
    with op.batch_alter_table('workspace_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_member_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('workspace_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_member_workspace_id'))

    op.drop_table('workspace_member')
    with op.batch_alter_table('workspace_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_group_member_sub_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_workspace_group_member_admin_workspace_id'))

    op.drop_table('workspace_group_member')
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('ix_background_job_workspace_id_created_at')
        batch_op.drop_index('ix_background_job_status_run_after')

    op.drop_table('background_job')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_workspace_id_id')

    op.drop_table('audit_log')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_workspace_id'))

    op.drop_table('api_key')
    op.drop_table('workspace')
    op.drop_table('user')
