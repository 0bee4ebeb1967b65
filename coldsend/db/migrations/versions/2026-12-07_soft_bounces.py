"""send.soft_bounces: how often a step soft-bounced (it is tried again up to a bound); event.severity: hard or
soft, on bounce events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soft_bounces', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('severity', sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('severity')
    with op.batch_alter_table('send', schema=None) as batch_op:
        batch_op.drop_column('soft_bounces')
