"""English names kept beside the Chinese ones; every open task knows its stage

Revision ID: 0006
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A task without a `stage` property is in the stage its zone was in when it opened.
    op.execute(sa.text("UPDATE human_task SET stage = (SELECT zone.status FROM zone WHERE zone.id = human_task.zone_id) "
                       "WHERE stage = ''"))


def downgrade() -> None:
    pass
