"""One contract for every storage backend: LocalStorage and S3Storage (real SeaweedFS)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.s3 import ACCESS_KEY, SECRET_KEY, SeaweedS3, new_bucket, plain_put
from vidhost.adapters.storage.local import LocalStorage
from vidhost.adapters.storage.s3 import S3Config, S3Storage
from vidhost.core.ports import Storage


def make_s3(seaweed: SeaweedS3, tmp_path: Path, bucket: str | None = None) -> S3Storage:
    return S3Storage(
        S3Config(
            bucket=bucket or new_bucket(),
            endpoint_url=seaweed.endpoint,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            multipart_threshold=5 * 1024 * 1024,
            part_size=5 * 1024 * 1024,
        ),
        tmp_path / "tmp",
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    else:
        yield make_s3(request.getfixturevalue("seaweed"), tmp_path)


def test_put_bytes_then_read_back(storage: Storage) -> None:
    info = storage.put_bytes("videos/a/hls/x.m3u8", b"#EXTM3U\n", content_type="text/plain")
    assert info.size == 8 and info.etag
    assert storage.get_bytes("videos/a/hls/x.m3u8") == b"#EXTM3U\n"
    stat = storage.stat("videos/a/hls/x.m3u8")
    assert stat.size == 8 and stat.key == "videos/a/hls/x.m3u8"
    assert abs(stat.modified.timestamp() - time.time()) < 120


def test_put_file_move_consumes_the_file(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"0123456789" * 1000)
    info = storage.put_file("videos/b/source", src, move=True)
    assert info.size == 10_000
    assert not src.exists()
    with storage.local_copy("videos/b/source") as path:
        assert path.read_bytes() == b"0123456789" * 1000


def test_large_put_file_round_trips(storage: Storage, tmp_path: Path) -> None:
    """Above the S3 multipart threshold the upload is split into parts."""
    data = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    storage.put_file("videos/big/source", src)
    assert src.exists()
    assert storage.stat("videos/big/source").size == len(data)
    assert (
        b"".join(storage.iter_range("videos/big/source", 5_000_000, 5_000_099))
        == (data[5_000_000:5_000_100])
    )


def test_iter_range_is_inclusive(storage: Storage) -> None:
    storage.put_bytes("videos/c/seg.ts", b"abcdefghij")
    assert b"".join(storage.iter_range("videos/c/seg.ts")) == b"abcdefghij"
    assert b"".join(storage.iter_range("videos/c/seg.ts", 2, 4)) == b"cde"
    assert b"".join(storage.iter_range("videos/c/seg.ts", 7)) == b"hij"
    assert b"".join(storage.iter_range("videos/c/seg.ts", 0, 0)) == b"a"
    chunks = list(storage.iter_range("videos/c/seg.ts", chunk_size=3))
    assert b"".join(chunks) == b"abcdefghij" and max(len(c) for c in chunks) <= 3


def test_empty_object(storage: Storage) -> None:
    storage.put_bytes("videos/e/empty", b"")
    assert storage.stat("videos/e/empty").size == 0
    assert b"".join(storage.iter_range("videos/e/empty")) == b""


def test_missing_keys_raise_file_not_found(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.stat("videos/nope/source")
    with pytest.raises(FileNotFoundError):
        storage.get_bytes("videos/nope/source")
    with pytest.raises(FileNotFoundError):
        b"".join(storage.iter_range("videos/nope/source"))
    with pytest.raises(FileNotFoundError), storage.local_copy("videos/nope/source"):
        pass
    storage.delete("videos/nope/source")  # deleting a missing key is not an error


@pytest.mark.parametrize("key", ["../etc/passwd", "videos//x", "videos/./x", "/abs", "a b"])
def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(FileNotFoundError):
        storage.put_bytes(key, b"x")


def test_list_and_delete_prefix(storage: Storage) -> None:
    for key in ("videos/v1/source", "videos/v1/hls/a.ts", "videos/v1/hls/b.ts", "videos/v2/x"):
        storage.put_bytes(key, b"data")
    assert sorted(i.key for i in storage.list("videos/v1/")) == [
        "videos/v1/hls/a.ts",
        "videos/v1/hls/b.ts",
        "videos/v1/source",
    ]
    assert {i.key for i in storage.list("videos/")} >= {"videos/v1/source", "videos/v2/x"}
    assert storage.delete_prefix("videos/v1/") == 3
    assert list(storage.list("videos/v1/")) == []
    assert storage.get_bytes("videos/v2/x") == b"data"
    storage.delete("videos/v2/x")
    with pytest.raises(FileNotFoundError):
        storage.stat("videos/v2/x")


def test_overwrite_replaces_content(storage: Storage) -> None:
    first = storage.put_bytes("videos/o/source", b"one")
    second = storage.put_bytes("videos/o/source", b"second")
    assert storage.get_bytes("videos/o/source") == b"second"
    assert second.size == 6 and first.etag != second.etag


# --- S3-only capabilities -----------------------------------------------------------------


def test_bucket_is_created_when_missing(seaweed: SeaweedS3, tmp_path: Path) -> None:
    bucket = new_bucket()
    make_s3(seaweed, tmp_path, bucket).put_bytes("videos/x/source", b"1")
    again = make_s3(seaweed, tmp_path, bucket)  # existing bucket: no error
    assert again.get_bytes("videos/x/source") == b"1"


def test_presigned_put_and_get_with_plain_http(seaweed: SeaweedS3, tmp_path: Path) -> None:
    s3 = make_s3(seaweed, tmp_path)
    req = s3.presign_put("videos/p/source", expires_in=60, content_type="video/mp4")
    assert req.method == "PUT" and req.headers == {"Content-Type": "video/mp4"}
    assert plain_put(req.url, b"movie", req.headers).status_code == 200
    assert s3.get_bytes("videos/p/source") == b"movie"
    assert httpx.get(s3.presign_get("videos/p/source", expires_in=60)).content == b"movie"
    named = s3.presign_get(
        "videos/p/source",
        expires_in=60,
        content_type="audio/mp4",
        content_disposition='attachment; filename="a b.m4a"',
    )
    r = httpx.get(named, headers={"Range": "bytes=1-2"})
    assert r.status_code == 206 and r.content == b"ov"
    assert r.headers["content-type"] == "audio/mp4"
    assert r.headers["content-disposition"] == 'attachment; filename="a b.m4a"'


def test_presigned_put_tampered_expired_or_other_key_is_refused(
    seaweed: SeaweedS3, tmp_path: Path
) -> None:
    s3 = make_s3(seaweed, tmp_path)
    req = s3.presign_put("videos/t/source", expires_in=60)
    other_key = req.url.replace("videos/t/source", "videos/u/source")
    assert plain_put(other_key, b"x").status_code == 403
    tampered = req.url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    assert plain_put(tampered, b"x").status_code == 403
    short = s3.presign_put("videos/t/source", expires_in=1)
    time.sleep(2.2)
    assert plain_put(short.url, b"x").status_code == 403
    with pytest.raises(FileNotFoundError):
        s3.stat("videos/t/source")
    with pytest.raises(FileNotFoundError):
        s3.stat("videos/u/source")


def test_multipart_with_presigned_parts(seaweed: SeaweedS3, tmp_path: Path) -> None:
    s3 = make_s3(seaweed, tmp_path)
    key = "videos/m/source"
    part1, part2 = b"a" * (5 * 1024 * 1024), b"b" * 1000
    upload_id = s3.create_multipart(key, content_type="video/mp4")
    assert [u.upload_id for u in s3.list_multipart("videos/")] == [upload_id]
    etags = []
    for n, body in ((1, part1), (2, part2)):
        req = s3.presign_part(key, upload_id, n, expires_in=60)
        response = plain_put(req.url, body)
        assert response.status_code == 200
        etags.append((n, response.headers["etag"]))
    info = s3.complete_multipart(key, upload_id, list(reversed(etags)))
    assert info.size == len(part1) + len(part2)
    assert b"".join(s3.iter_range(key, len(part1) - 1, len(part1))) == b"ab"
    assert s3.list_multipart("videos/") == []


def test_multipart_abort(seaweed: SeaweedS3, tmp_path: Path) -> None:
    s3 = make_s3(seaweed, tmp_path)
    upload_id = s3.create_multipart("videos/ab/source")
    req = s3.presign_part("videos/ab/source", upload_id, 1, expires_in=60)
    assert plain_put(req.url, b"x" * 100).status_code == 200
    s3.abort_multipart("videos/ab/source", upload_id)
    s3.abort_multipart("videos/ab/source", upload_id)  # twice: still fine
    assert s3.list_multipart("videos/") == []
    with pytest.raises(FileNotFoundError):
        s3.stat("videos/ab/source")
