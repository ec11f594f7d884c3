"""Scratch databases for a benchmark run: a SQLite file, or a throw-away PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from workflow.config import ROOT
from workflow.db import Database
from workflow.services import setup

PASSWORD = "bench-password-1"  # noqa: S105 (demo users of a scratch database)
ADMIN_URL = os.environ.get("WORKFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_problem() -> str | None:
    """Why no scratch PostgreSQL database can be made here, or None."""
    try:
        engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except (OperationalError, ImportError) as exc:
        return f"PostgreSQL at {make_url(ADMIN_URL).render_as_string(hide_password=True)} unreachable: " \
               f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
    return None


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A new empty PostgreSQL database, dropped afterwards."""
    name = f"workflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def database_url(kind: str) -> Iterator[str]:
    """An empty database of ``kind`` ("sqlite" or "postgresql"), removed afterwards."""
    if kind == "postgresql":
        with postgres_url() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


def prepared(url: str) -> Database:
    """The schema, the deployed models and the demo users in the database at ``url``."""
    db = Database(url)
    db.upgrade()
    with db.session() as session:
        setup.init(session, ROOT / "bpmn", demo=True, demo_password=PASSWORD)
    return db
