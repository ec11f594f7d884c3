"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow.db import Database
from workflow.models import Base


def test_migrations_match_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == []


def test_upgrade_is_idempotent(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade()
    db.upgrade()
    db.dispose()
