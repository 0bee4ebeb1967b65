"""placement: inbox placement seeds (accounts marked as seeds, or IMAP-only mailboxes), tests, their runs,
each copy sent to a seed and where it landed (the analytics rows), the blacklist and SpamAssassin reports of a
run and sending domain, and the automations that fired in a run. Numbered 0014 on the placement branch (after oauth's 0013):
renumber on merge if another branch took it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('placement_seed',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('imap_host', sa.String(length=253), nullable=True),
    sa.Column('imap_port', sa.Integer(), nullable=True),
    sa.Column('imap_username', sa.String(length=320), nullable=True),
    sa.Column('imap_password_encrypted', sa.Text(), nullable=True),
    sa.Column('imap_tls', sa.String(length=10), nullable=False),
    sa.Column('esp', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('sub_region', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('read_error', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_placement_seed_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_seed_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_seed')),
    sa.UniqueConstraint('account_id', name=op.f('uq_placement_seed_account_id')),
    sa.UniqueConstraint('workspace_id', 'email', name=op.f('uq_placement_seed_workspace_id_email'))
    )
    op.create_table('placement_test',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('type', sa.Integer(), nullable=False),
    sa.Column('sending_method', sa.Integer(), nullable=False),
    sa.Column('delivery_mode', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('email_subject', sa.Text(), nullable=False),
    sa.Column('email_body', sa.Text(), nullable=False),
    sa.Column('emails', sa.JSON(), nullable=False),
    sa.Column('test_code', sa.String(length=50), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('text_only', sa.Boolean(), nullable=True),
    sa.Column('recipients_labels', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=True),
    sa.Column('timestamp_next_run', sa.DateTime(timezone=True), nullable=True),
    sa.Column('automations', sa.JSON(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('not_sending_status', sa.String(length=20), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_placement_test_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_test_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_test'))
    )
    with op.batch_alter_table('placement_test', schema=None) as batch_op:
        batch_op.create_index('ix_placement_test_status_timestamp_next_run', ['status', 'timestamp_next_run'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_test_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('placement_run',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('test_id', sa.Uuid(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('test_code', sa.String(length=50), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('missing_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['test_id'], ['placement_test.id'], name=op.f('fk_placement_run_test_id_placement_test'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_run_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_run')),
    sa.UniqueConstraint('test_id', 'scheduled_for', name=op.f('uq_placement_run_test_id_scheduled_for'))
    )
    with op.batch_alter_table('placement_run', schema=None) as batch_op:
        batch_op.create_index('ix_placement_run_state_read_at', ['state', 'read_at'], unique=False)

    op.create_table('placement_automation_run',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('automation', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('condition', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('paused_campaigns', sa.JSON(), nullable=True),
    sa.Column('resume_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['placement_run.id'], name=op.f('fk_placement_automation_run_run_id_placement_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['test_id'], ['placement_test.id'], name=op.f('fk_placement_automation_run_test_id_placement_test'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_automation_run_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_automation_run')),
    sa.UniqueConstraint('run_id', 'automation', name=op.f('uq_placement_automation_run_run_id_automation'))
    )
    with op.batch_alter_table('placement_automation_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_automation_run_resume_at'), ['resume_at'], unique=False)

    op.create_table('placement_copy',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('test_id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('seed_id', sa.Uuid(), nullable=True),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('sender_email', sa.String(length=320), nullable=True),
    sa.Column('recipient_email', sa.String(length=320), nullable=False),
    sa.Column('sender_esp', sa.Integer(), nullable=True),
    sa.Column('recipient_esp', sa.Integer(), nullable=True),
    sa.Column('recipient_geo', sa.Integer(), nullable=True),
    sa.Column('recipient_type', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('record_type', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('folder', sa.String(length=500), nullable=True),
    sa.Column('is_spam', sa.Boolean(), nullable=True),
    sa.Column('has_category', sa.Boolean(), nullable=True),
    sa.Column('missing', sa.Boolean(), nullable=False),
    sa.Column('spf_pass', sa.Boolean(), nullable=True),
    sa.Column('dkim_pass', sa.Boolean(), nullable=True),
    sa.Column('dmarc_pass', sa.Boolean(), nullable=True),
    sa.Column('authentication_failure_results', sa.JSON(), nullable=True),
    sa.Column('smtp_ip', sa.String(length=45), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_placement_copy_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['placement_run.id'], name=op.f('fk_placement_copy_run_id_placement_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seed_id'], ['placement_seed.id'], name=op.f('fk_placement_copy_seed_id_placement_seed'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['test_id'], ['placement_test.id'], name=op.f('fk_placement_copy_test_id_placement_test'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_copy_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_copy')),
    sa.UniqueConstraint('message_id', name=op.f('uq_placement_copy_message_id'))
    )
    with op.batch_alter_table('placement_copy', schema=None) as batch_op:
        batch_op.create_index('ix_placement_copy_run_id_seed_id', ['run_id', 'seed_id'], unique=False)
        batch_op.create_index('ix_placement_copy_state_due_at', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_placement_copy_test_id_timestamp_created', ['test_id', 'timestamp_created'], unique=False)

    op.create_table('placement_report',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('test_id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('domain_ip', sa.String(length=45), nullable=False),
    sa.Column('domain_blacklist_count', sa.Integer(), nullable=True),
    sa.Column('domain_ip_blacklist_count', sa.Integer(), nullable=True),
    sa.Column('spam_assassin_score', sa.Float(), nullable=True),
    sa.Column('spam_assassin_report', sa.JSON(), nullable=True),
    sa.Column('blacklist_report', sa.JSON(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['placement_run.id'], name=op.f('fk_placement_report_run_id_placement_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['test_id'], ['placement_test.id'], name=op.f('fk_placement_report_test_id_placement_test'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_placement_report_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_report')),
    sa.UniqueConstraint('run_id', 'domain', name=op.f('uq_placement_report_run_id_domain'))
    )
    with op.batch_alter_table('placement_report', schema=None) as batch_op:
        batch_op.create_index('ix_placement_report_test_id_timestamp_created', ['test_id', 'timestamp_created'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('placement_report', schema=None) as batch_op:
        batch_op.drop_index('ix_placement_report_test_id_timestamp_created')

    op.drop_table('placement_report')
    with op.batch_alter_table('placement_copy', schema=None) as batch_op:
        batch_op.drop_index('ix_placement_copy_test_id_timestamp_created')
        batch_op.drop_index('ix_placement_copy_state_due_at')
        batch_op.drop_index('ix_placement_copy_run_id_seed_id')

    op.drop_table('placement_copy')
    with op.batch_alter_table('placement_automation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_automation_run_resume_at'))

    op.drop_table('placement_automation_run')
    with op.batch_alter_table('placement_run', schema=None) as batch_op:
        batch_op.drop_index('ix_placement_run_state_read_at')

    op.drop_table('placement_run')
    with op.batch_alter_table('placement_test', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_test_workspace_id'))
        batch_op.drop_index('ix_placement_test_status_timestamp_next_run')

    op.drop_table('placement_test')
    op.drop_table('placement_seed')
