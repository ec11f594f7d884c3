"""the working-day calendar, in-app notifications, the e-mail outbox and users' e-mail addresses

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("dedup", sa.String(length=120), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("read_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"]),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup"),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at", "id"])
    op.create_index("ix_notification_task_kind", "notification", ["task_id", "kind"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("to_addr", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("claimed_at", _TIME, nullable=True),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_outbox_pending", "mail_outbox", ["sent_at", "claimed_at", "id"])
    op.add_column("user_account", sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN: a batch copy of user_account would break the foreign keys that point at it.
    op.drop_column("user_account", "email")
    op.drop_index("ix_mail_outbox_pending", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_notification_task_kind", table_name="notification")
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
    op.drop_table("calendar_day")
