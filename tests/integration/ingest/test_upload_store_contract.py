"""One contract for every upload-data store (ADR 0070): the file store and the S3 store
(real SeaweedFS). Each request is written, made durable, then "committed" the way the
service commits it (offset and store state together); what was not committed never counts."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.adapters.test_storage_contract import make_s3
from tests.s3 import SeaweedS3
from vidhost.adapters.storage.local import LocalStorage
from vidhost.adapters.storage.s3 import S3Storage
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.models import utcnow
from vidhost.core.ports import Storage
from vidhost.core.upload_checksum import Checksum
from vidhost.core.upload_errors import ChecksumMismatch
from vidhost.core.upload_models import Concat, Upload
from vidhost.ingest.tus.port import StoreComposer, UploadStore
from vidhost.ingest.tus.stores.file import FileStore
from vidhost.ingest.tus.stores.s3 import MIN_PART, TAILS, S3Store

MIB = 1024 * 1024


@dataclass
class Env:
    kind: str
    store: UploadStore
    storage: Storage

    def new(self, length: int | None, *, partial: bool = False) -> tuple[Upload, str]:
        now = utcnow()
        upload = Upload(
            id=uuid.uuid4().hex,
            owner="u",
            created_at=now,
            expires_at=now + timedelta(hours=1),
            length=length,
            concat=Concat.PARTIAL if partial else None,
        )
        key = f"uploads/{upload.id}" if partial else f"videos/{upload.id}/source"
        upload.store = self.store.create(upload, key)
        return upload, key

    def append(self, upload: Upload, data: bytes, *, commit: bool = True, step: int = 65536) -> Any:
        writer = self.store.writer(upload, expected=len(data))
        for i in range(0, len(data), step):
            writer.write(data[i : i + step])
            if writer.due():
                writer.flush()
        state = writer.sync()
        writer.close()
        if commit:
            upload.offset = writer.start + writer.written
            if state is not None:
                upload.store = state
            writer.committed()
        return writer


@pytest.fixture(params=["file", "s3"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    if request.param == "file":
        yield Env("file", FileStore(tmp_path / "uploads"), LocalStorage(tmp_path / "store"))
    else:
        s3 = make_s3(request.getfixturevalue("seaweed"), tmp_path)
        yield Env("s3", S3Store(s3, part_size=5 * MIB), s3)


def test_every_store_has_every_capability(env: Env) -> None:
    composer = StoreComposer.of(env.store)
    assert composer.terminater and composer.concater and composer.length_deferrer
    assert {"termination", "concatenation", "creation-defer-length"} <= set(composer.extensions())


@pytest.mark.parametrize(
    "sizes",
    [
        [100_000, 6 * MIB, 1],  # a tail, a tail put in front of the next part, a 1-byte end
        [12 * MIB + 5, 3 * MIB],  # parts cut as the body arrives; a small last piece
        [MIN_PART, MIN_PART],
    ],
    ids=["small-first", "large-first", "exact-minimum"],
)
def test_appended_requests_finish_byte_identical(env: Env, sizes: list[int]) -> None:
    data = os.urandom(sum(sizes))
    upload, key = env.new(len(data))
    at = 0
    for size in sizes:
        env.append(upload, data[at : at + size])
        at += size
        assert upload.offset == at
        assert env.store.size(upload) == at
    env.store.finish(upload, env.storage, key)
    env.store.finish(upload, env.storage, key)  # idempotent (a retried hand-over)
    assert env.storage.get_bytes(key) == data


def test_a_request_that_was_not_committed_does_not_count(env: Env) -> None:
    """A node that stored bytes but died before its commit: the next request, on any node,
    starts from the committed state, and the lost request's bytes never appear."""
    upload, key = env.new(20 * MIB)
    first = os.urandom(7 * MIB)
    env.append(upload, first)
    env.append(upload, b"x" * (6 * MIB), commit=False)  # stored, never committed
    rest = os.urandom(13 * MIB)
    env.append(upload, rest)
    env.store.finish(upload, env.storage, key)
    assert (
        hashlib.sha256(env.storage.get_bytes(key)).digest() == hashlib.sha256(first + rest).digest()
    )


def test_a_discarded_request_leaves_the_committed_bytes(env: Env) -> None:
    upload, key = env.new(None)
    env.append(upload, b"a" * 1000)
    writer = env.store.writer(upload, expected=None)
    for _ in range(200):
        writer.write(b"b" * 65536)  # 12.5 MiB: parts were stored before it failed
        if writer.due():
            writer.flush()
    writer.discard()
    writer.close()
    assert env.store.size(upload) == 1000
    env.append(upload, b"c" * 24)
    upload.length = 1024  # declared at the end (creation-defer-length)
    env.append(upload, b"")  # the request that declares the length carries no body
    env.store.finish(upload, env.storage, key)
    assert env.storage.get_bytes(key) == b"a" * 1000 + b"c" * 24


def test_an_empty_upload_finishes_as_an_empty_object(env: Env) -> None:
    upload, key = env.new(0)
    env.append(upload, b"")
    env.store.finish(upload, env.storage, key)
    assert env.storage.get_bytes(key) == b""


@pytest.mark.parametrize(
    "sizes", [[6 * MIB, 5 * MIB, 1000], [1000, 2000, 6 * MIB]], ids=["part-copy", "streamed"]
)
def test_concatenation_assembles_the_partial_uploads_in_order(env: Env, sizes: list[int]) -> None:
    parts, blobs = [], []
    for size in sizes:
        blob = os.urandom(size)
        part, _ = env.new(size, partial=True)
        env.append(part, blob)
        parts.append(part)
        blobs.append(blob)
    final, key = env.new(None)
    final.length = sum(sizes)
    state = env.store.concatenate(final, parts, key)  # type: ignore[attr-defined]
    final.store = state if state is not None else final.store
    final.offset = sum(sizes)
    assert env.store.size(final) == sum(sizes)
    for part in parts:
        env.store.terminate(part)  # type: ignore[attr-defined]
    env.store.finish(final, env.storage, key)
    assert env.storage.get_bytes(key) == b"".join(blobs)


def test_termination_leaves_nothing_behind(env: Env) -> None:
    upload, key = env.new(None)
    env.append(upload, b"z" * 1000)  # a tail on S3
    env.append(upload, b"y" * (6 * MIB))  # and a part
    env.append(upload, b"x" * 10)
    env.store.terminate(upload)  # type: ignore[attr-defined]
    if isinstance(env.storage, S3Storage):
        assert not [u for u in env.storage.list_multipart("videos/") if u.key == key]
        assert not list(env.storage.list(f"{TAILS}{upload.id}/"))
    else:
        assert isinstance(env.store, FileStore)
        assert not env.store.path(upload.id).exists()
    with pytest.raises(FileNotFoundError):
        env.storage.stat(key)


def test_s3_buffers_at_most_one_part_per_request(seaweed: SeaweedS3, tmp_path: Path) -> None:
    store = S3Store(make_s3(seaweed, tmp_path), part_size=5 * MIB)
    upload = Upload(
        id=uuid.uuid4().hex, owner="u", created_at=utcnow(), expires_at=utcnow(), length=None
    )
    upload.store = store.create(upload, f"videos/{upload.id}/source")
    writer = store.writer(upload, expected=None)
    peak = 0
    for _ in range(30 * 16):  # 30 MiB in 64 KiB reads
        writer.write(b"q" * 65536)
        peak = max(peak, len(writer.buffer))
        if writer.due():
            writer.flush()
    assert peak <= 5 * MIB + MIN_PART
    assert len(writer.parts) == 6  # stored as it arrived, not at the end
    writer.discard()
    writer.close()


# --- through the service: a checksum mismatch keeps nothing, on either store ------------------


def test_a_checksum_mismatch_keeps_nothing(env: Env, tmp_path: Path) -> None:
    extra: dict[str, Any] = {}
    if env.kind == "s3":
        assert isinstance(env.storage, S3Storage)
        endpoint = _seaweed_of(env.storage)
        extra = {
            "storage": "s3",
            "s3_endpoint_url": endpoint,
            "s3_bucket": env.storage.bucket,
            "s3_access_key_id": env.storage.config.access_key_id,
            "s3_secret_access_key": env.storage.config.secret_access_key,
            "upload_part_size": 5 * MIB,
        }
    c = build_container(Settings(data_dir=tmp_path / "data", auth="none", **extra))
    try:
        assert type(c.uploads.store.core).__name__ == (
            "S3Store" if env.kind == "s3" else "FileStore"
        )
        service = c.uploads
        upload = service.create(owner="u", length=None, metadata={}, concat=Concat.PARTIAL)

        async def body(data: bytes) -> AsyncIterator[bytes]:
            for i in range(0, len(data), 65536):
                yield data[i : i + 65536]

        good = os.urandom(3 * MIB)
        asyncio.run(service.write(upload.id, "u", offset=0, body=body(good)))
        bad = os.urandom(7 * MIB)
        wrong = Checksum("sha1", hashlib.sha1(b"other").digest())
        with pytest.raises(ChecksumMismatch):
            asyncio.run(
                service.write(upload.id, "u", offset=3 * MIB, body=body(bad), checksum=wrong)
            )
        got = service.repo.get(upload.id)
        assert got is not None and got.offset == 3 * MIB
        assert service.store.core.size(got) == 3 * MIB
        more = os.urandom(2 * MIB)
        right = Checksum("sha256", hashlib.sha256(more).digest())
        done = asyncio.run(
            service.write(
                upload.id, "u", offset=3 * MIB, body=body(more), checksum=right, length=5 * MIB
            )
        )
        assert done.offset == done.length == 5 * MIB
    finally:
        c.close()


def _seaweed_of(storage: S3Storage) -> str:
    assert storage.config.endpoint_url
    return storage.config.endpoint_url


def test_s3_part_size_grows_so_an_upload_fits_in_s3s_part_limit() -> None:
    from vidhost.ingest.tus.stores.s3 import MAX_PARTS, part_size_for

    assert part_size_for(16 * MIB, None) == 16 * MIB
    assert part_size_for(16 * MIB, 10 * 1024 * MIB) == 16 * MIB
    huge = 1024 * 1024 * MIB  # 1 TiB
    assert part_size_for(16 * MIB, huge) * (MAX_PARTS - 1000) >= huge


def test_s3_failures_are_coded_errors(seaweed: SeaweedS3, tmp_path: Path) -> None:
    import boto3

    from tests.s3 import ACCESS_KEY
    from vidhost.core.errors import StorageFailure

    s3 = make_s3(seaweed, tmp_path)
    store = S3Store(s3, part_size=5 * MIB)
    upload = Upload(id=uuid.uuid4().hex, owner="u", created_at=utcnow(), expires_at=utcnow())
    upload.store = store.create(upload, f"videos/{upload.id}/source")
    assert upload.store is not None
    s3.abort_multipart(upload.store["key"], upload.store["mp"])  # gone behind its back
    writer = store.writer(upload, expected=None)
    writer.write(os.urandom(5 * MIB))
    with pytest.raises(StorageFailure) as lost:
        writer.flush()
    assert lost.value.code == "upload_data_lost"

    s3.client = boto3.client(
        "s3",
        endpoint_url=seaweed.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="not-the-secret",
    )
    with pytest.raises(StorageFailure) as failed:
        store.create(upload, f"videos/{upload.id}/source")
    assert failed.value.code == "storage_error"
