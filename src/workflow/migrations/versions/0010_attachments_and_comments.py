"""attachments (files stored once by content hash) and comments on zones

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), sa.ForeignKey("zone.id"), nullable=False),
        sa.Column("sha256", sa.String(length=64), sa.ForeignKey("blob.sha256"), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("human_task.id"), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachment_zone_at", "attachment", ["zone_id", "uploaded_at"])
    op.create_table(
        "zone_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), sa.ForeignKey("zone.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("human_task.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_zone_comment_zone_at", "zone_comment", ["zone_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_zone_comment_zone_at", table_name="zone_comment")
    op.drop_table("zone_comment")
    op.drop_index("ix_attachment_zone_at", table_name="attachment")
    op.drop_table("attachment")
    op.drop_table("blob")
