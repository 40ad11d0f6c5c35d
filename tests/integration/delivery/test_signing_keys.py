"""The signing-key repository and playback-token verification, on real SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from vidhost.adapters.db.signing_keys import SqlSigningKeyRepository
from vidhost.core.access import Audience
from vidhost.core.errors import Forbidden, NotFound
from vidhost.core.models import SigningKey
from vidhost.delivery.playback_tokens import PlaybackTokens, new_server_key


@pytest.fixture
def keys(engine: Engine) -> SqlSigningKeyRepository:  # engine: SQLite and PostgreSQL (conftest)
    return SqlSigningKeyRepository(engine)


def test_keys_round_trip_list_per_owner_and_delete_keeps_the_id(
    keys: SqlSigningKeyRepository,
) -> None:
    keys.add_key(SigningKey(id="k1", owner="alice", public_pem="PEM1"))
    keys.add_key(SigningKey(id="k2", owner="alice", public_pem="PEM2"))
    keys.add_key(SigningKey(id="k3", owner="bob", public_pem="PEM3"))
    got = keys.get_key("k1")
    assert got is not None and got.owner == "alice" and got.public_pem == "PEM1"
    assert got.created_at.tzinfo is not None and got.deleted_at is None
    assert [k.id for k in keys.list_keys("alice")] == ["k1", "k2"]
    assert [k.id for k in keys.list_keys("bob")] == ["k3"]
    assert keys.get_key("missing") is None

    assert not keys.delete_key("k1", owner="bob")  # not bob's
    assert keys.delete_key("k1", owner="alice")
    assert not keys.delete_key("k1", owner="alice")  # already deleted
    deleted = keys.get_key("k1")
    assert deleted is not None and deleted.public_pem is None and deleted.deleted_at is not None
    assert [k.id for k in keys.list_keys("alice")] == ["k2"]


def test_server_key_is_created_once_under_a_race(keys: SqlSigningKeyRepository) -> None:
    made: list[str] = []
    got: list[str] = []

    def create():  # type: ignore[no-untyped-def]
        key = new_server_key()
        made.append(key.kid)
        time.sleep(0.05)  # widen the window between "not found" and the insert
        return key

    def racer() -> None:
        got.append(keys.server_key(create).kid)

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and got[0] in made
    assert keys.server_key(create).kid == got[0]  # later calls read the stored one


def test_tokens_verify_through_the_repository(keys: SqlSigningKeyRepository) -> None:
    tokens = PlaybackTokens(keys)
    key, private_b64 = tokens.create_key("alice")
    assert [k.id for k in tokens.list_keys("alice")] == [key.id]
    with pytest.raises(NotFound):
        tokens.get_key(key.id, owner="bob")

    token, _ = tokens.issue("video-1", Audience.VIDEO, 60)
    grant = PlaybackTokens(keys).verify(token)  # another node: same server key from the DB
    assert (grant.video_id, grant.audience, grant.key_owner) == ("video-1", "v", None)

    import base64

    from vidhost.delivery.playback_tokens import sign

    pem = base64.b64decode(private_b64).decode()
    user_token = sign(pem, key.id, "video-1", Audience.THUMBNAIL, int(time.time()) + 60)
    assert tokens.verify(user_token).key_owner == "alice"
    tokens.delete_key(key.id, owner="alice")
    with pytest.raises(Forbidden) as info:
        tokens.verify(user_token)
    assert info.value.code == "playback_token_revoked"


class _CountingKeys(SqlSigningKeyRepository):
    """The real repository, counting reads of a signing-key row."""

    reads = 0

    def get_key(self, key_id: str) -> SigningKey | None:
        self.reads += 1
        return super().get_key(key_id)


def test_a_server_key_token_reads_no_key_row_per_request(
    keys: SqlSigningKeyRepository,
) -> None:
    counting = _CountingKeys(keys.engine)
    tokens = PlaybackTokens(counting)
    token, _ = tokens.issue("video-1", Audience.VIDEO, 60)
    for _ in range(3):  # three segments of one viewer
        assert tokens.verify(token).video_id == "video-1"
    assert counting.reads == 0
    key, private_b64 = tokens.create_key("alice")
    import base64

    from vidhost.delivery.playback_tokens import sign

    pem = base64.b64decode(private_b64).decode()
    tokens.verify(sign(pem, key.id, "video-1", Audience.VIDEO, int(time.time()) + 60))
    assert counting.reads == 1  # a user key: its row, once per verification
