"""block lists custom tags lead labels

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:44:47.494090
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('block_list_entry',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('bl_value', sa.String(length=320), nullable=False),
    sa.Column('is_domain', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_block_list_entry_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_block_list_entry')),
    sa.UniqueConstraint('workspace_id', 'bl_value', name=op.f('uq_block_list_entry_workspace_id_bl_value'))
    )
    with op.batch_alter_table('block_list_entry', schema=None) as batch_op:
        batch_op.create_index('ix_block_list_entry_workspace_id_id', ['workspace_id', 'id'], unique=False)

    op.create_table('custom_tag',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('label_key', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_custom_tag_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_tag')),
    sa.UniqueConstraint('workspace_id', 'label_key', name=op.f('uq_custom_tag_workspace_id_label_key'))
    )
    with op.batch_alter_table('custom_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custom_tag_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('lead_label',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('interest_status_label', sa.String(length=20), nullable=False),
    sa.Column('interest_status', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('use_with_ai', sa.Boolean(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_lead_label_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_label')),
    sa.UniqueConstraint('workspace_id', 'interest_status', name=op.f('uq_lead_label_workspace_id_interest_status'))
    )
    with op.batch_alter_table('lead_label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_label_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('reply_label_prediction',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_reply_label_prediction_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_label_prediction'))
    )
    with op.batch_alter_table('reply_label_prediction', schema=None) as batch_op:
        batch_op.create_index('ix_reply_label_prediction_workspace_id_timestamp_created', ['workspace_id', 'timestamp_created'], unique=False)

    op.create_table('custom_tag_mapping',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.Column('resource_type', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.String(length=320), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('timestamp_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp_updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['custom_tag.id'], name=op.f('fk_custom_tag_mapping_tag_id_custom_tag'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_custom_tag_mapping_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_tag_mapping')),
    sa.UniqueConstraint('tag_id', 'resource_type', 'resource_id', name=op.f('uq_custom_tag_mapping_tag_id_resource_type_resource_id'))
    )
    with op.batch_alter_table('custom_tag_mapping', schema=None) as batch_op:
        batch_op.create_index('ix_custom_tag_mapping_workspace_id_resource_id', ['workspace_id', 'resource_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('custom_tag_mapping', schema=None) as batch_op:
        batch_op.drop_index('ix_custom_tag_mapping_workspace_id_resource_id')

    op.drop_table('custom_tag_mapping')
    with op.batch_alter_table('lead_label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_label_workspace_id'))

    op.drop_table('lead_label')
    with op.batch_alter_table('reply_label_prediction', schema=None) as batch_op:
        batch_op.drop_index('ix_reply_label_prediction_workspace_id_timestamp_created')

    op.drop_table('reply_label_prediction')
    with op.batch_alter_table('custom_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custom_tag_workspace_id'))

    op.drop_table('custom_tag')
    with op.batch_alter_table('block_list_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_block_list_entry_workspace_id_id')

    op.drop_table('block_list_entry')
