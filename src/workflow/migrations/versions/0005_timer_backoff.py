"""timer backoff: consecutive failures and the next retry of an instance's timers

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timer_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('timer_retry_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN: a batch copy of process_instance would break the foreign keys that point at it.
    op.drop_column('process_instance', 'timer_retry_at')
    op.drop_column('process_instance', 'timer_failures')
