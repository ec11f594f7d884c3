"""English names kept beside the Chinese ones; every open task knows its stage

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane_en', sa.String(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('zone_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_zone_record_actor_id_user_account', 'user_account', ['actor_id'], ['id'])
    op.execute(sa.text("UPDATE zone_record SET actor_id = (SELECT user_account.id FROM user_account "
                       "WHERE user_account.username = zone_record.actor) WHERE actor != ''"))
    # An open task without a `stage` property is in the stage its zone is in now.
    op.execute(sa.text("UPDATE human_task SET stage = (SELECT zone.status FROM zone WHERE zone.id = human_task.zone_id) "
                       "WHERE stage = '' AND status = 'open'"))


def downgrade() -> None:
    # Plain DROP COLUMN: a batch copy of these tables would break the foreign keys that point at them.
    op.drop_column('human_task', 'lane_en')
    op.drop_column('process_version', 'name_en')
    with op.batch_alter_table('zone_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_zone_record_actor_id_user_account', type_='foreignkey')
        batch_op.drop_column('actor_id')
