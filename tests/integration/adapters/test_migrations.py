"""Revisions live with the feature that owns them (ADR 0077): the Mux tables' revisions in
``vidhost/providers/mux/migrations/``, found through Alembic's ``version_locations``, with
their revision ids and their place in the history unchanged. A database migrated when every
revision lived in ``vidhost/adapters/db/migrations/versions/`` (the old layout, rebuilt here
from the same files) reports the same heads and upgrades, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tests.pg import temporary_database
from vidhost.adapters.db.engine import (
    MIGRATIONS,
    VIDHOST,
    alembic_config,
    make_engine,
    migrate,
    version_locations,
)

MUX = VIDHOST / "providers" / "mux" / "migrations"
MUX_REVISIONS = {"0092_mux_tokens": "mux_access_tokens", "0093_mux_playback": "mux_uploads"}


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (no revision applied)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield eng
        eng.dispose()
        return
    with temporary_database() as url:
        eng = make_engine(url)
        yield eng
        eng.dispose()


def old_layout(engine: Engine, root: Path) -> Config:
    """The layout before the move: ``env.py`` and every revision in one ``versions/``."""
    shutil.copytree(MIGRATIONS, root, ignore=shutil.ignore_patterns("__pycache__"))
    for revision in sorted(MUX.glob("*.py")):
        shutil.copy(revision, root / "versions" / revision.name)
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    cfg.attributes["engine"] = engine
    return cfg


def applied(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def heads(cfg: Config) -> set[str]:
    return set(ScriptDirectory.from_config(cfg).get_heads())


def reached(engine: Engine, cfg: Config) -> set[str]:
    """Every revision the database has applied, by ``cfg``'s scripts: its version rows and
    all they stand on (down revisions and ``depends_on``; Alembic drops a dependency's row
    once a revision that depends on it is applied)."""
    script = ScriptDirectory.from_config(cfg)
    return {r.revision for r in script.iterate_revisions(tuple(applied(engine)), "base") if r}


def everything(cfg: Config) -> set[str]:
    return {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}


def test_the_mux_revisions_are_found_in_the_mux_folder() -> None:
    assert MUX in version_locations()
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    for revision_id in MUX_REVISIONS:
        revision = script.get_revision(revision_id)
        assert revision is not None and Path(revision.path).parent == MUX
        assert revision.down_revision == "0001_core"  # the chain is unchanged
    assert not any((MIGRATIONS / "versions").glob("*mux*"))


def test_a_database_migrated_in_the_old_layout_is_at_head_and_upgrades(
    blank: Engine, tmp_path: Path
) -> None:
    old = old_layout(blank, tmp_path / "old_migrations")
    new = alembic_config(blank)
    assert heads(old) == heads(new)  # the same history, whichever folder holds a revision
    command.upgrade(old, "heads")
    rows = applied(blank)
    assert reached(blank, new) == everything(new)  # at head, read with the new layout
    migrate(blank)  # nothing to do, and no "Can't locate revision"
    assert applied(blank) == rows


def test_a_database_part_way_in_the_old_layout_upgrades_to_the_mux_tables(
    blank: Engine, tmp_path: Path
) -> None:
    old = old_layout(blank, tmp_path / "old_migrations")
    command.upgrade(old, "0092_mux_tokens")  # the core and the Mux tokens, not the uploads
    assert applied(blank) == {"0092_mux_tokens"}
    assert "mux_uploads" not in inspect(blank).get_table_names()
    migrate(blank)
    new = alembic_config(blank)
    assert reached(blank, new) == everything(new)
    tables = set(inspect(blank).get_table_names())
    assert set(MUX_REVISIONS.values()) <= tables
