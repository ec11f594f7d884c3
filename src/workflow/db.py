"""Database engine, sessions and schema migrations (Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow import chain
from workflow.errors import Conflict, Msg, StaleInstance

MIGRATIONS = Path(__file__).with_name("migrations")


@contextmanager
def _lost_races() -> Iterator[None]:
    """A write that lost a race becomes a Conflict (409), whichever flush or commit wrote it."""
    try:
        yield
    except StaleDataError:
        raise StaleInstance(Msg("该流程刚被他人处理，请刷新后重试")) from None
    except IntegrityError:
        raise Conflict(Msg("数据与现有记录冲突，请刷新后重试")) from None


class WorkflowSession(Session):
    """A session whose every flush (explicit, automatic before a query, or at commit) maps lost races.

    The version counter on process instances raises ``StaleDataError`` at whichever flush writes the
    instance, often an autoflush deep inside a step; mapping it here covers every path at once.
    """

    def flush(self, objects=None) -> None:
        with _lost_races():
            super().flush(objects)

    def commit(self) -> None:
        with _lost_races():
            super().commit()


class Database:
    """One engine and session factory per application."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        options: dict = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        self.url = url
        self.engine: Engine = create_engine(url, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, class_=WorkflowSession, expire_on_commit=False)
        chain.install(Session)

    def session(self) -> Session:
        return self.sessions()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        with self.engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def answers(self) -> bool:
        """Whether a new connection to the database can be made and used now."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
