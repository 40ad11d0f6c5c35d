"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.pg import temporary_database
from vidhost.adapters.db.engine import make_engine, migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a fresh database: real SQLite, then real PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    with temporary_database() as url:
        eng = make_engine(url)
        migrate(eng)
        yield eng
        eng.dispose()
