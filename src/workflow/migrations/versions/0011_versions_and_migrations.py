"""version comments, and the record of each instance moved to another version (for the way back)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("process_version", sa.Column("comment", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "instance_migration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("from_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=False),
        sa.Column("to_version_id", sa.Integer(), sa.ForeignKey("process_version.id"), nullable=False),
        sa.Column("state_before", sa.JSON(), nullable=False),
        sa.Column("row_version_after", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_instance_migration_instance_id", "instance_migration", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_instance_migration_instance_id", table_name="instance_migration")
    op.drop_table("instance_migration")
    # Plain DROP COLUMN: a batch copy of process_version would break the foreign keys that point at it.
    op.drop_column("process_version", "comment")
