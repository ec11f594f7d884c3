"""the inbox at scale: zone data and keys copied onto open tasks, saved filters, substitutes

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from workflow import access
from workflow.models.base import NO_DUE_DATE, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ("province", "applicant_id", "zone_name", "priority_rank", "due_sort", "period_year", "shared",
           "delegated_by_id")


def upgrade() -> None:
    op.add_column("human_task", sa.Column("province", sa.String(32), nullable=False, server_default=""))
    op.add_column("human_task", sa.Column("applicant_id", sa.Integer(), nullable=True))
    op.add_column("human_task", sa.Column("zone_name", sa.String(100), nullable=False, server_default=""))
    op.add_column("human_task", sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("human_task", sa.Column("due_sort", sa.DateTime(timezone=True), nullable=False,
                                          server_default="9999-12-31 00:00:00"))
    op.add_column("human_task", sa.Column("period_year", sa.Integer(), nullable=True))
    op.add_column("human_task", sa.Column("shared", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("human_task", sa.Column("delegated_by_id", sa.Integer(), nullable=True))
    op.create_index("ix_human_task_inbox", "human_task", ["status", "priority_rank", "due_sort", "id"])
    op.create_index("ix_human_task_inbox_province", "human_task",
                    ["status", "province", "priority_rank", "due_sort", "id"])
    op.create_index("ix_human_task_claimed", "human_task", ["claimed_by_id", "status"])
    op.create_table(
        "task_key",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("human_task.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("key", "task_id"),
    )
    op.create_index("ix_task_key_task_id", "task_key", ["task_id"])
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name"),
    )
    op.create_table(
        "substitute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("absentee_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("substitute_id", sa.Integer(), sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_substitute_absentee_id", "substitute", ["absentee_id"])
    op.create_index("ix_substitute_active", "substitute", ["substitute_id", "ends_on"])
    _copy_existing()


def _copy_existing() -> None:
    """Open tasks written before this revision get the zone's data, their due date to sort on, and their keys."""
    bind = op.get_bind()
    task = sa.table("human_task", sa.column("id"), sa.column("zone_id"), sa.column("status"), sa.column("assignee"),
                    sa.column("province"), sa.column("applicant_id"), sa.column("zone_name"),
                    sa.column("due_at", UTCDateTime()), sa.column("due_sort", UTCDateTime()))
    zone = sa.table("zone", sa.column("id"), sa.column("name"), sa.column("province"), sa.column("applicant_id"))
    candidate = sa.table("task_candidate", sa.column("task_id"), sa.column("kind"), sa.column("name"))
    keys = sa.table("task_key", sa.column("key"), sa.column("task_id"))
    rows = bind.execute(sa.select(task.c.id, task.c.status, task.c.assignee, task.c.due_at, zone.c.name,
                                  zone.c.province, zone.c.applicant_id)
                        .join(zone, zone.c.id == task.c.zone_id)).all()
    offered: dict[int, tuple[list[str], list[str]]] = {}
    for task_id, kind, name in bind.execute(sa.select(candidate.c.task_id, candidate.c.kind, candidate.c.name)):
        offered.setdefault(task_id, ([], []))[0 if kind == "group" else 1].append(name)
    for task_id, status, assignee, due_at, name, province, applicant_id in rows:
        bind.execute(task.update().where(task.c.id == task_id).values(
            province=province, applicant_id=applicant_id, zone_name=name, due_sort=due_at or NO_DUE_DATE))
        if status == "open":
            groups, users = offered.get(task_id, ([], []))
            for key in sorted(access.task_keys(groups, users, assignee, province, applicant_id)):
                bind.execute(keys.insert().values(key=key, task_id=task_id))


def downgrade() -> None:
    op.drop_table("substitute")
    op.drop_table("saved_filter")
    op.drop_table("task_key")
    op.drop_index("ix_human_task_claimed", "human_task")
    op.drop_index("ix_human_task_inbox_province", "human_task")
    op.drop_index("ix_human_task_inbox", "human_task")
    for column in reversed(COLUMNS):
        op.drop_column("human_task", column)
