"""an older model's content may be deployed again as a new version

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _unique_on_hash(bind) -> dict | None:
    for constraint in sa.inspect(bind).get_unique_constraints("process_version"):
        if set(constraint["column_names"]) == {"process_id", "content_hash"}:
            return constraint
    return None


def upgrade() -> None:
    bind = op.get_bind()
    found = _unique_on_hash(bind)
    if found is None:
        return
    if bind.dialect.name == "sqlite":
        # SQLite names no constraint: name them by convention while the batch copies the table.
        with op.batch_alter_table("process_version", naming_convention=CONVENTION) as batch:
            batch.drop_constraint("uq_process_version_process_id_content_hash", type_="unique")
    else:
        op.drop_constraint(found["name"], "process_version", type_="unique")


def downgrade() -> None:
    # A unique index, not a batch copy of process_version (that would break the foreign keys pointing at it).
    # It fails, as it should, while two versions of a process share one content.
    op.create_index("uq_process_version_process_id_content_hash", "process_version", ["process_id", "content_hash"],
                    unique=True)
