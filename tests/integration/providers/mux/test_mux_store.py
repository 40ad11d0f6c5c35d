"""The Mux records on SQLite and PostgreSQL: access token secrets are stored hashed only,
revocation and owner checks, conditional upload status changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, select

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.core.errors import NotFound, Unauthorized
from vidhost.providers.mux.access_tokens import AccessTokens
from vidhost.providers.mux.playback_ids import PlaybackId, new_playback_id
from vidhost.providers.mux.store import SqlMuxStore
from vidhost.providers.mux.tables import mux_access_tokens
from vidhost.providers.mux.uploads import MuxUpload

PG = "postgresql://postgres@127.0.0.1:5432/"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    name = "vidhost_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    eng = make_engine(PG + name)
    migrate(eng)
    yield eng
    eng.dispose()
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_access_tokens_are_hashed_listed_without_secrets_and_revocable(engine: Engine) -> None:
    tokens = AccessTokens(SqlMuxStore(engine))
    made = tokens.create("alice", "ci")
    assert tokens.verify(made.id, made.secret) == "alice"
    with engine.connect() as conn:
        stored = conn.execute(select(mux_access_tokens)).mappings().one()
    assert made.secret not in {str(v) for v in stored.values()}
    for token_id, secret in [(made.id, made.secret + "x"), ("other", made.secret)]:
        with pytest.raises(Unauthorized):
            tokens.verify(token_id, secret)
    assert [t["id"] for t in tokens.list("alice")] == [made.id]
    assert all("secret_hash" not in t for t in tokens.list("alice"))
    with pytest.raises(NotFound):
        tokens.revoke(made.id, "bob")  # another user's token
    tokens.revoke(made.id, "alice")
    with pytest.raises(Unauthorized):
        tokens.verify(made.id, made.secret)
    assert tokens.list("alice") == []


def test_upload_status_moves_once_and_playback_ids_by_video(engine: Engine) -> None:
    store = SqlMuxStore(engine)
    store.add_upload(
        MuxUpload(
            id="u1",
            owner="alice",
            upload_id="u1",
            video_id="v1",
            status="waiting",
            timeout=60,
            new_asset_settings={"passthrough": "p"},
        )
    )
    assert store.set_upload_status("u1", "cancelled", only_if="waiting")
    assert not store.set_upload_status("u1", "timed_out", only_if="waiting")
    got = store.get_upload("u1")
    assert got is not None and got.status == "cancelled"
    assert got.new_asset_settings == {"passthrough": "p"}
    assert store.upload_of_video("v1") is not None and store.upload_of_video("v2") is None
    pid = PlaybackId(id=new_playback_id(), video_id="v1", owner="alice", policy="signed")
    store.add_playback_id(pid)
    assert [p.id for p in store.playback_ids_of(["v1", "v2"])["v1"]] == [pid.id]
    assert not store.delete_playback_id(pid.id, "v2")
    assert store.delete_playback_id(pid.id, "v1")
    assert store.get_playback_id(pid.id) is None


def test_timestamps_come_back_in_utc(engine: Engine) -> None:
    """The provider's own tables keep no column type of the core's: a timestamp written in
    another zone, or read from SQLite (which keeps none), is the same instant in UTC."""
    store = SqlMuxStore(engine)
    paris = timezone(timedelta(hours=2))
    made = datetime(2026, 6, 1, 12, 0, 0, tzinfo=paris)
    store.add_upload(
        MuxUpload(
            id="u2",
            owner="alice",
            upload_id="u2",
            video_id="v2",
            status="waiting",
            timeout=60,
            new_asset_settings={},
            created_at=made,
        )
    )
    pid = PlaybackId(id=new_playback_id(), video_id="v2", owner="alice", policy="public")
    pid.created_at = made
    store.add_playback_id(pid)
    token_made = store.add_token("t1", "alice", "0" * 64, None)
    read = [
        store.get_upload("u2").created_at,  # type: ignore[union-attr]
        store.list_uploads("alice", limit=5, offset=0)[0].created_at,
        store.get_playback_id(pid.id).created_at,  # type: ignore[union-attr]
        store.playback_ids_of(["v2"])["v2"][0].created_at,
    ]
    for value in read:
        assert value == made and value.utcoffset() == timedelta(0), value
    token = store.get_token("t1")
    assert token is not None and token["created_at"] == token_made
    assert token["created_at"].utcoffset() == timedelta(0)
    assert store.list_tokens("alice")[0]["created_at"].utcoffset() == timedelta(0)
