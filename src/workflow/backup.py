"""`workflow backup|restore`: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

A backup is one file: a SQLite database, or a pg_dump archive (custom format). A restore goes into an
empty database (or replaces everything with ``replace``); run `workflow init` afterwards to bring an
older backup to the current schema. Restore with the web servers and workers stopped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from workflow.errors import BackupFailed

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class Done:
    path: Path
    size: int
    kind: str  # sqlite or postgresql


def backup(url: str, target: Path) -> Done:
    """Copy the database into the new file ``target``, consistent as of one moment, while it is in use."""
    if target.exists():
        raise BackupFailed(f"{target} exists; give a new file name")
    parsed = make_url(url)
    partial = target.with_name(target.name + ".partial")
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(parsed), partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  f"--dbname={_libpq(parsed)}"], parsed)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Done(target, target.stat().st_size, parsed.get_backend_name())


def restore(url: str, source: Path, replace: bool = False) -> Done:
    """Load the backup ``source`` into the database at ``url``, which must be empty unless ``replace``."""
    parsed = make_url(url)
    head = source.read_bytes()[:16] if source.is_file() else b""
    sqlite = parsed.get_backend_name() == "sqlite"
    if not head.startswith(SQLITE_MAGIC if sqlite else PG_MAGIC):
        kind = "a SQLite database" if sqlite else "a pg_dump archive (custom format)"
        raise BackupFailed(f"{source} is not {kind}; back up and restore with the same kind of database")
    if not replace and _tables(url):
        raise BackupFailed("the database is not empty; restore into a new database, or pass --replace")
    if sqlite:
        _sqlite_restore(source, _sqlite_path(parsed))
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              *(["--clean", "--if-exists"] if replace else []), f"--dbname={_libpq(parsed)}", str(source)], parsed)
    if "alembic_version" not in _tables(url):
        raise BackupFailed(f"{source} holds no workflow database (no alembic_version table)")
    return Done(source, source.stat().st_size, parsed.get_backend_name())


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupFailed(f"no database at {database}")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # page by page; writers may go on meanwhile, the copy is one consistent moment
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupFailed("the copy does not pass SQLite's quick_check")
    finally:
        copy.close()
        source.close()


def _sqlite_restore(source: Path, database: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(database)
    try:
        backup_file.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    finally:
        live.close()
        backup_file.close()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def _libpq(url: URL) -> str:
    """The URL as libpq reads it, without the password (that goes in PGPASSWORD, not in the process list).

    Several ``host=name:port`` parameters (SQLAlchemy's spelling for a primary and its standbys) become
    libpq's ``host=a,b&port=1,2``.
    """
    plain = url.set(drivername="postgresql")._replace(password=None)
    hosts = url.query.get("host")
    if isinstance(hosts, tuple):
        names, ports = zip(*(h.rpartition(":")[::2] if ":" in h else (h, "5432") for h in hosts), strict=True)
        plain = plain.update_query_dict({"host": ",".join(names), "port": ",".join(ports)})
    return plain.render_as_string(hide_password=False)


def _run(command: list[str], url: URL) -> None:
    if shutil.which(command[0]) is None:
        raise BackupFailed(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
