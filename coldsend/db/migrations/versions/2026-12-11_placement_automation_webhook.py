"""placement automation webhook calls: the `webhook_url` action calls its URL, retried on the webhook
schedule, so each fired automation keeps where its call stands.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-11 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('placement_automation_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('webhook_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('webhook_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('webhook_next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_placement_automation_run_webhook_next_at'), ['webhook_next_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('placement_automation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_automation_run_webhook_next_at'))
        batch_op.drop_column('webhook_next_at')
        batch_op.drop_column('webhook_attempts')
        batch_op.drop_column('webhook_status')
        batch_op.drop_column('webhook_url')
