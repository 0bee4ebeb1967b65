"""api key: the admin workspace that made a key inside its sub workspace, revoked with the group link

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_workspace_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_key_admin_workspace_id'), ['admin_workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_admin_workspace_id'))
        batch_op.drop_column('admin_workspace_id')
