"""campaigns leads lead lists subsequences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:56:59.771692
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('not_sending_status', sa.Integer(), nullable=True),
    sa.Column('pl_value', sa.Float(), nullable=True),
    sa.Column('is_evergreen', sa.Boolean(), nullable=True),
    sa.Column('campaign_schedule', sa.JSON(), nullable=False),
    sa.Column('sequences', sa.JSON(), nullable=False),
    sa.Column('email_gap', sa.Integer(), nullable=True),
    sa.Column('random_wait_max', sa.Integer(), nullable=True),
    sa.Column('text_only', sa.Boolean(), nullable=True),
    sa.Column('first_email_text_only', sa.Boolean(), nullable=True),
    sa.Column('email_list', sa.JSON(), nullable=False),
    sa.Column('email_tag_list', sa.JSON(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('daily_max_leads', sa.Integer(), nullable=True),
    sa.Column('stop_on_reply', sa.Boolean(), nullable=True),
    sa.Column('stop_on_auto_reply', sa.Boolean(), nullable=True),
    sa.Column('link_tracking', sa.Boolean(), nullable=True),
    sa.Column('open_tracking', sa.Boolean(), nullable=False),
    sa.Column('prioritize_new_leads', sa.Boolean(), nullable=True),
    sa.Column('auto_variant_select', sa.JSON(), nullable=True),
    sa.Column('match_lead_esp', sa.Boolean(), nullable=True),
    sa.Column('stop_for_company', sa.Boolean(), nullable=True),
    sa.Column('core_variables', sa.JSON(), nullable=True),
    sa.Column('custom_variables', sa.JSON(), nullable=True),
    sa.Column('insert_unsubscribe_header', sa.Boolean(), nullable=True),
    sa.Column('allow_risky_contacts', sa.Boolean(), nullable=True),
    sa.Column('disable_bounce_protect', sa.Boolean(), nullable=True),
    sa.Column('limit_emails_per_company_override', sa.JSON(), nullable=True),
    sa.Column('cc_list', sa.JSON(), nullable=False),
    sa.Column('bcc_list', sa.JSON(), nullable=False),
    sa.Column('owned_by', sa.Uuid(), nullable=True),
    sa.Column('ai_sdr_id', sa.Uuid(), nullable=True),
    sa.Column('provider_routing_rules', sa.JSON(), nullable=False),
    sa.Column('timestamp_launched', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shared_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_campaign_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_workspace_id_id', ['workspace_id', 'id'], unique=False)

    op.create_table('lead_list',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('has_enrichment_task', sa.Boolean(), nullable=True),
    sa.Column('owned_by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_lead_list_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_list'))
    )
    with op.batch_alter_table('lead_list', schema=None) as batch_op:
        batch_op.create_index('ix_lead_list_workspace_id_id', ['workspace_id', 'id'], unique=False)

    op.create_table('campaign_subsequence',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('parent_campaign_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('subsequence_schedule', sa.JSON(), nullable=True),
    sa.Column('sequences', sa.JSON(), nullable=False),
    sa.Column('auto_variant_select', sa.JSON(), nullable=True),
    sa.Column('daily_limit_mode', sa.String(length=20), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('ignore_account_daily_limit', sa.Boolean(), nullable=False),
    sa.Column('timestamp_leads_updated', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_campaign_id'], ['campaign.id'], name=op.f('fk_campaign_subsequence_parent_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_campaign_subsequence_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_subsequence'))
    )
    with op.batch_alter_table('campaign_subsequence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_subsequence_parent_campaign_id'), ['parent_campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_subsequence_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('lead',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('list_id', sa.Uuid(), nullable=True),
    sa.Column('subsequence_id', sa.Uuid(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('first_name', sa.String(length=500), nullable=True),
    sa.Column('last_name', sa.String(length=500), nullable=True),
    sa.Column('company_name', sa.String(length=500), nullable=True),
    sa.Column('company_domain', sa.String(length=253), nullable=False),
    sa.Column('job_title', sa.String(length=500), nullable=True),
    sa.Column('phone', sa.String(length=100), nullable=True),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('personalization', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('lt_interest_status', sa.Integer(), nullable=True),
    sa.Column('verification_status', sa.Integer(), nullable=True),
    sa.Column('enrichment_status', sa.Integer(), nullable=True),
    sa.Column('esp_code', sa.Integer(), nullable=True),
    sa.Column('esg_code', sa.Integer(), nullable=True),
    sa.Column('upload_method', sa.String(length=30), nullable=False),
    sa.Column('uploaded_by_user', sa.Uuid(), nullable=True),
    sa.Column('assigned_to', sa.Uuid(), nullable=True),
    sa.Column('pl_value_lead', sa.String(length=100), nullable=True),
    sa.Column('is_website_visitor', sa.Boolean(), nullable=True),
    sa.Column('email_open_count', sa.Integer(), nullable=False),
    sa.Column('email_reply_count', sa.Integer(), nullable=False),
    sa.Column('email_click_count', sa.Integer(), nullable=False),
    sa.Column('status_summary', sa.JSON(), nullable=False),
    sa.Column('status_summary_subseq', sa.JSON(), nullable=False),
    sa.Column('last_step_from', sa.String(length=100), nullable=True),
    sa.Column('last_step_id', sa.Uuid(), nullable=True),
    sa.Column('last_step_timestamp_executed', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_contacted_from', sa.String(length=320), nullable=True),
    sa.Column('email_opened_step', sa.Integer(), nullable=True),
    sa.Column('email_opened_variant', sa.Integer(), nullable=True),
    sa.Column('email_replied_step', sa.Integer(), nullable=True),
    sa.Column('email_replied_variant', sa.Integer(), nullable=True),
    sa.Column('email_clicked_step', sa.Integer(), nullable=True),
    sa.Column('email_clicked_variant', sa.Integer(), nullable=True),
    sa.Column('timestamp_added_subsequence', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_contact', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_open', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_reply', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_interest_change', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_click', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_last_touch', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_lead_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_id'], ['lead_list.id'], name=op.f('fk_lead_list_id_lead_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subsequence_id'], ['campaign_subsequence.id'], name=op.f('fk_lead_subsequence_id_campaign_subsequence'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_lead_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_campaign_id_email', ['campaign_id', 'email'], unique=False)
        batch_op.create_index('ix_lead_list_id_email', ['list_id', 'email'], unique=False)
        batch_op.create_index('ix_lead_workspace_id_email', ['workspace_id', 'email'], unique=False)
        batch_op.create_index('ix_lead_workspace_id_id', ['workspace_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_workspace_id_id')
        batch_op.drop_index('ix_lead_workspace_id_email')
        batch_op.drop_index('ix_lead_list_id_email')
        batch_op.drop_index('ix_lead_campaign_id_email')

    op.drop_table('lead')
    with op.batch_alter_table('campaign_subsequence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_subsequence_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_subsequence_parent_campaign_id'))

    op.drop_table('campaign_subsequence')
    with op.batch_alter_table('lead_list', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_list_workspace_id_id')

    op.drop_table('lead_list')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_workspace_id_id')

    op.drop_table('campaign')
