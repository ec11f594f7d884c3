"""worker heartbeats: each timer worker's last pass, its duration and failures (/readyz, /metrics)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pass_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_duration_s", sa.Float(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("failed_passes", sa.Integer(), nullable=False),
        sa.Column("failed_instances", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_worker_heartbeat_last_pass_at", "worker_heartbeat", ["last_pass_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_heartbeat_last_pass_at", table_name="worker_heartbeat")
    op.drop_table("worker_heartbeat")
