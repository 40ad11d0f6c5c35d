"""Engine construction and schema migration."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"
"""The Alembic environment (``env.py``) and the core's revisions (``versions/``)."""
VIDHOST = Path(__file__).parents[2]


def version_locations() -> list[Path]:
    """Where revisions live: the core's, then each feature's own ``migrations/`` folder
    (``vidhost/providers/mux/migrations/``), found by that name so a feature adds its
    schema in its own folder (ADR 0077). Every process sees every location, whichever
    features it runs: a database that holds a revision Alembic cannot find does not
    upgrade. One history: a feature's revisions branch from ``0001_core``."""
    features = sorted(p for p in VIDHOST.glob("*/**/migrations") if p.is_dir() and p != MIGRATIONS)
    return [MIGRATIONS / "versions", *features]


def driver_url(url: str) -> str:
    """``url`` with its SQLAlchemy driver: ``postgresql://`` means psycopg 3."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str) -> Engine:
    """An engine tuned per backend: SQLite in WAL mode with a busy timeout."""
    url = driver_url(url)
    if url.startswith("sqlite"):
        return sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def sqlite_engine(url: str) -> Engine:
    """SQLite shared by several processes: WAL, a busy timeout, foreign keys on."""
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    return engine


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(map(str, version_locations())))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK_KEY = 0x76696468  # "vidh": the PostgreSQL advisory lock all processes share


def migrate(engine: Engine) -> None:
    """Apply every migration (all branch heads), one process at a time (ADR 0071).

    Processes started at once on a fresh database would otherwise all create the tables and
    all but one crash (``UniqueViolation`` on ``alembic_version``). PostgreSQL: a session
    advisory lock; SQLite: an ``flock`` on ``<database>.migrate.lock``. Whoever gets the lock
    second finds the schema at its heads and does nothing.
    """
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), "heads")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # one process only (or not a file we can lock beside)
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
