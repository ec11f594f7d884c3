"""hash-chain the event log: seq, prev_hash, hash on each event, and the chain head

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from workflow import chain
from workflow.models.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_event_seq", ["seq"], unique=True)
    head = op.create_table(
        "event_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _chain_existing(head)


def _chain_existing(head: sa.Table) -> None:
    """The events written before the chain existed are chained as they stand, in the order of their ids."""
    bind = op.get_bind()
    types = {"at": UTCDateTime(), "data": sa.JSON()}
    columns = [sa.column(name, types.get(name)) for name in (*chain.CHAINED, *chain.LINKS)]
    event = sa.table("event", *columns)
    seq, prev, last_id = 0, chain.GENESIS, None
    rows = bind.execute(sa.select(event).order_by(event.c.id)).mappings().all()
    for row in rows:
        seq += 1
        digest = chain.digest(prev, {**row, "seq": seq})
        bind.execute(event.update().where(event.c.id == row["id"]).values(seq=seq, prev_hash=prev, hash=digest))
        prev, last_id = digest, row["id"]
    bind.execute(head.insert().values(id=1, seq=seq, hash=prev, event_id=last_id, updated_at=sa.func.now()))


def downgrade() -> None:
    op.drop_table("event_chain_head")
    with op.batch_alter_table("event") as batch:
        batch.drop_index("ix_event_seq")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
