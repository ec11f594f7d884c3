"""`workflow backup` and `workflow restore`: the copy restores into a fresh database and the zones go on."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import BPMN_DIR, PASSWORD, act, application, user
from workflow import chain
from workflow.db import Database
from workflow.models import Zone, ZoneStatus
from workflow.services import setup, zones

PG_ADMIN = os.environ.get("WORKFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def run(url: str, *args: str):
    from workflow.cli import main

    env = {"WORKFLOW_DATABASE_URL": url, "WORKFLOW_SECRET_KEY": "backup-test", "WORKFLOW_BPMN_DIR": str(BPMN_DIR)}
    return CliRunner().invoke(main, list(args), env=env)


def filed_zone(url: str) -> int:
    """A database with the demo data and one application waiting for the bureau's recommendation."""
    db = Database(url)
    db.upgrade()
    with db.session() as session:
        setup.init(session, BPMN_DIR, demo=True, demo_password=PASSWORD)
        zone_id = zones.file_application(session, user(session, "henan.gov"), application()).id
    db.dispose()
    return zone_id


def continues(url: str, zone_id: int) -> None:
    """The restored zone takes its next step, and the audit chain still holds."""
    db = Database(url)
    with db.session() as session:
        act(session, "henan.bureau", "bureau_recommendation", decision="recommend", comment="恢复后继续")
        assert session.get(Zone, zone_id).status == ZoneStatus.ACCEPTING
    with db.engine.connect() as connection:
        assert chain.verify(connection, None).holds
    db.dispose()


def test_sqlite_backup_restores_into_a_fresh_database_and_the_zone_continues(tmp_path):
    live = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    zone_id = filed_zone(live)
    busy = Database(live)
    with busy.session() as session:  # a reader holding the database open does not stop the online backup
        session.execute(text("SELECT count(*) FROM zone"))
        made = run(live, "backup", str(tmp_path / "copy.sqlite3"))
    busy.dispose()
    assert made.exit_code == 0, made.output
    assert "sqlite backup" in made.output
    assert not (tmp_path / "copy.sqlite3-wal").exists()
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    restored = run(fresh, "restore", str(tmp_path / "copy.sqlite3"))
    assert restored.exit_code == 0, restored.output
    assert run(fresh, "init").exit_code == 0
    continues(fresh, zone_id)


def test_backup_never_overwrites_and_restore_needs_an_empty_database(tmp_path):
    live = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    filed_zone(live)
    copy = tmp_path / "copy.sqlite3"
    assert run(live, "backup", str(copy)).exit_code == 0
    again = run(live, "backup", str(copy))
    assert again.exit_code == 1 and "exists" in again.output
    refused = run(live, "restore", str(copy))
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert run(live, "restore", "--replace", str(copy)).exit_code == 0


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    answer = run(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "restore", str(junk))
    assert answer.exit_code == 1 and "not a SQLite database" in answer.output
    foreign = tmp_path / "other.sqlite3"
    create_engine(f"sqlite:///{foreign}").connect().execute(text("CREATE TABLE t (x int)")).close()
    answer = run(f"sqlite:///{tmp_path / 'fresh2.sqlite3'}", "restore", str(foreign))
    assert answer.exit_code == 1 and "no workflow database" in answer.output


def _pg_problem() -> str | None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        return "pg_dump/pg_restore not installed (postgresql-client)"
    try:
        engine = create_engine(PG_ADMIN)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return f"no PostgreSQL server at {PG_ADMIN}: {str(exc.orig).strip().splitlines()[0]}"
    return None


@pytest.fixture
def pg_databases():
    """Two new, empty PostgreSQL databases: the live one and the one a backup is restored into."""
    problem = _pg_problem()
    if problem:
        if os.environ.get("WORKFLOW_REQUIRE_POSTGRES"):
            pytest.fail(problem)
        pytest.skip(problem)
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    names = [f"workflow_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    netloc = urllib.parse.urlsplit(PG_ADMIN.replace("postgresql+psycopg", "postgresql")).netloc
    yield [f"postgresql+psycopg://{netloc}/{name}" for name in names]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_backup_restores_into_a_fresh_database_and_the_zone_continues(tmp_path, pg_databases):
    live, fresh = pg_databases
    zone_id = filed_zone(live)
    made = run(live, "backup", str(tmp_path / "zones.dump"))
    assert made.exit_code == 0, made.output
    assert "postgresql backup" in made.output
    restored = run(fresh, "restore", str(tmp_path / "zones.dump"))
    assert restored.exit_code == 0, restored.output
    assert run(fresh, "init").exit_code == 0
    continues(fresh, zone_id)
    assert run(fresh, "restore", str(tmp_path / "zones.dump")).exit_code == 1  # no longer empty
    assert run(fresh, "restore", "--replace", str(tmp_path / "zones.dump")).exit_code == 0


def test_pg_dump_gets_the_password_in_its_environment_and_every_host(tmp_path, monkeypatch):
    from workflow import backup

    seen = {}

    def fake_run(command, env, **_kwargs):
        seen.update(command=command, env=env)
        Path(next(a for a in command if a.startswith("--file=")).removeprefix("--file=")).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    monkeypatch.setattr(backup.shutil, "which", lambda _name: "/usr/bin/pg_dump")
    url = "postgresql+psycopg://zones:s3cret@/zones?host=db1:5432&host=db2:5433&target_session_attrs=read-write"
    backup.backup(url, tmp_path / "zones.dump")
    assert "s3cret" not in " ".join(seen["command"]) and seen["env"]["PGPASSWORD"] == "s3cret"
    assert seen["command"][-1] == ("--dbname=postgresql://zones@/zones?host=db1%2Cdb2&port=5432%2C5433"
                                   "&target_session_attrs=read-write")
