"""tus 1.0.0 over HTTP against a real server: every status code and header of the surface."""

from __future__ import annotations

import base64
import hashlib
import os

import httpx
import pytest

from tests.e2e.ingest.conftest import (
    OCTETS,
    TUS,
    client,
    create,
    patch,
    sha256,
    source_path,
    video_bytes,
)
from tests.server import ServerProcess

MAX = 500 * 1024 * 1024


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def test_options_advertises_version_extensions_size_and_checksums(tus_server: ServerProcess):
    for path in ("/api/v1/videos/tus", "/api/v1/videos/tus/anything"):
        r = httpx.options(tus_server.url + path)
        assert r.status_code == 204
        assert r.headers["tus-resumable"] == "1.0.0"
        assert r.headers["tus-version"] == "1.0.0"
        assert r.headers["tus-max-size"] == str(MAX)
        assert set(r.headers["tus-extension"].split(",")) == {
            "creation",
            "creation-with-upload",
            "creation-defer-length",
            "termination",
            "concatenation",
            "checksum",
            "expiration",
        }
        assert set(r.headers["tus-checksum-algorithm"].split(",")) == {"sha1", "sha256", "md5"}


def test_unsupported_or_missing_tus_resumable_is_412(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 10)
        for value in ("0.2.2", None):
            headers = {"Tus-Resumable": value} if value else {}
            c.headers.pop("Tus-Resumable", None)
            r = c.head(url, headers=headers)
            assert r.status_code == 412
            assert r.headers["tus-version"] == "1.0.0"
            r = c.post("/api/v1/videos/tus", headers={**headers, "Upload-Length": "5"})
            assert r.status_code == 412


def test_creation_returns_absolute_location_expiry_and_metadata(tus_server: ServerProcess):
    with client(tus_server) as c:
        meta = f"filename {b64(b'clip one.mp4')},filetype {b64(b'video/mp4')},is_confidential"
        r = c.post("/api/v1/videos/tus", headers={"Upload-Length": "100", "Upload-Metadata": meta})
        assert r.status_code == 201
        location = r.headers["location"]
        assert location.startswith(tus_server.url + "/api/v1/videos/tus/")
        assert "GMT" in r.headers["upload-expires"]
        head = c.head(location)
        assert head.status_code == 200
        assert head.headers["upload-offset"] == "0"
        assert head.headers["upload-length"] == "100"
        assert head.headers["cache-control"] == "no-store"
        video_id = head.headers["vidhost-video-id"]
        video = c.get(f"/api/videos/{video_id}").json()
        assert video["metadata"]["filename"] == "clip one.mp4"
        assert video["metadata"]["is_confidential"] == ""
        assert video["metadata"]["upload_id"] == location.rsplit("/", 1)[1]


def test_empty_metadata_is_accepted_and_malformed_metadata_is_400(tus_server: ServerProcess):
    with client(tus_server) as c:
        r = c.post("/api/v1/videos/tus", headers={"Upload-Length": "1", "Upload-Metadata": ""})
        assert r.status_code == 201
        r = c.post(
            "/api/v1/videos/tus", headers={"Upload-Length": "1", "Upload-Metadata": "k not*b64"}
        )
        assert r.status_code == 400
        assert r.json()["code"] == "invalid_metadata"
        r = c.post("/api/v1/videos/tus", headers={})
        assert r.status_code == 400


def test_patch_appends_and_reports_the_new_offset(tus_server: ServerProcess):
    data = video_bytes(300_000)
    with client(tus_server) as c:
        url = create(c, len(data))
        r = patch(c, url, 0, data[:100_000])
        assert r.status_code == 204
        assert r.headers["upload-offset"] == "100000"
        assert "upload-expires" in r.headers
        r = patch(c, url, 100_000, data[100_000:])
        assert r.status_code == 204
        assert r.headers["upload-offset"] == str(len(data))
        head = c.head(url)
        assert head.headers["upload-offset"] == str(len(data))
        # The complete upload became the video's source, byte for byte.
        video_id = head.headers["vidhost-video-id"]
        assert hashlib.sha256(data).hexdigest() == sha256(source_path(tus_server, video_id))


def test_offset_mismatch_is_409_and_changes_nothing(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 10)
        assert patch(c, url, 0, b"abc").status_code == 204
        r = patch(c, url, 0, b"abc")
        assert r.status_code == 409
        assert r.json()["code"] == "offset_mismatch"
        r = patch(c, url, 5, b"abc")
        assert r.status_code == 409
        assert c.head(url).headers["upload-offset"] == "3"


def test_wrong_content_type_is_415(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 10)
        r = c.patch(
            url,
            headers={"Upload-Offset": "0", "Content-Type": "application/octet-stream"},
            content=b"abc",
        )
        assert r.status_code == 415
        assert c.head(url).headers["upload-offset"] == "0"


def test_unknown_upload_is_404(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = "/api/v1/videos/tus/" + "0" * 32
        assert c.head(url).status_code == 404
        assert patch(c, url, 0, b"x").status_code == 404
        assert c.delete(url).status_code == 404
        assert c.head("/api/v1/videos/tus/../../etc").status_code == 404


def test_length_over_maximum_and_patch_past_length_are_413(tus_server: ServerProcess):
    with client(tus_server) as c:
        r = c.post("/api/v1/videos/tus", headers={"Upload-Length": str(MAX + 1)})
        assert r.status_code == 413
        url = create(c, 10)
        r = patch(c, url, 0, b"x" * 11)
        assert r.status_code == 413
        assert c.head(url).headers["upload-offset"] == "0"

        # Without Content-Length (chunked) the overflow is found while streaming.
        def chunks():
            yield b"x" * 6
            yield b"x" * 6

        r = c.patch(url, headers={"Upload-Offset": "0", "Content-Type": OCTETS}, content=chunks())
        assert r.status_code == 413
        assert c.head(url).headers["upload-offset"] == "0"
        assert patch(c, url, 0, b"y" * 10).status_code == 204


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "md5"])
def test_checksum_match_is_kept(tus_server: ServerProcess, algorithm: str):
    data = os.urandom(50_000)
    with client(tus_server) as c:
        url = create(c, len(data))
        digest = hashlib.new(algorithm, data).digest()
        r = patch(c, url, 0, data, **{"Upload-Checksum": f"{algorithm} {b64(digest)}"})
        assert r.status_code == 204
        assert r.headers["upload-offset"] == str(len(data))


def test_checksum_mismatch_is_460_and_nothing_is_kept(tus_server: ServerProcess):
    data = video_bytes(80_000)
    with client(tus_server) as c:
        url = create(c, len(data))
        assert patch(c, url, 0, data[:30_000]).status_code == 204
        wrong = b64(hashlib.sha1(b"something else").digest())
        r = patch(c, url, 30_000, data[30_000:], **{"Upload-Checksum": f"sha1 {wrong}"})
        assert r.status_code == 460
        assert r.json()["code"] == "checksum_mismatch"
        assert c.head(url).headers["upload-offset"] == "30000"
        right = b64(hashlib.sha1(data[30_000:]).digest())
        r = patch(c, url, 30_000, data[30_000:], **{"Upload-Checksum": f"sha1 {right}"})
        assert r.status_code == 204
        video_id = c.head(url).headers["vidhost-video-id"]
        assert hashlib.sha256(data).hexdigest() == sha256(source_path(tus_server, video_id))


def test_unsupported_checksum_algorithm_is_400(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 3)
        r = patch(c, url, 0, b"abc", **{"Upload-Checksum": "crc32 AAAA"})
        assert r.status_code == 400
        assert r.json()["code"] == "unsupported_checksum_algorithm"


def test_creation_with_upload(tus_server: ServerProcess):
    data = os.urandom(20_000)
    with client(tus_server) as c:
        r = c.post(
            "/api/v1/videos/tus",
            headers={"Upload-Length": str(len(data) + 5), "Content-Type": OCTETS},
            content=data,
        )
        assert r.status_code == 201
        assert r.headers["upload-offset"] == str(len(data))
        url = r.headers["location"]
        assert patch(c, url, len(data), b"12345").status_code == 204


def test_creation_defer_length(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, None)
        head = c.head(url)
        assert head.headers["upload-defer-length"] == "1"
        assert "upload-length" not in head.headers
        assert patch(c, url, 0, b"abcde").status_code == 204
        r = patch(c, url, 5, b"fgh", **{"Upload-Length": "8"})
        assert r.status_code == 204
        head = c.head(url)
        assert head.headers["upload-length"] == "8"
        assert "upload-defer-length" not in head.headers
        assert head.headers["upload-offset"] == "8"


def test_termination_removes_upload_and_its_video(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 10)
        assert patch(c, url, 0, b"abc").status_code == 204
        video_id = c.head(url).headers["vidhost-video-id"]
        assert c.delete(url).status_code == 204
        assert c.head(url).status_code == 404
        assert c.get(f"/api/videos/{video_id}").status_code == 404
        upload_id = url.rsplit("/", 1)[1]
        assert not (tus_server.data_dir / "uploads" / upload_id).exists()


def test_concatenation_of_partials_uploaded_out_of_order(tus_server: ServerProcess):
    whole = video_bytes(40_000 + 25_000 + 33_333)
    parts = [whole[:40_000], whole[40_000:65_000], whole[65_000:]]
    with client(tus_server) as c:
        urls = [create(c, len(p), **{"Upload-Concat": "partial"}) for p in parts]
        assert c.head(urls[0]).headers["upload-concat"] == "partial"
        for i in (2, 0, 1):  # out of order, one in two pieces
            data = parts[i]
            assert patch(c, urls[i], 0, data[:10_000]).status_code == 204
            assert patch(c, urls[i], 10_000, data[10_000:]).status_code == 204
        relative = urls[1].removeprefix(tus_server.url)  # absolute and relative URLs both work
        r = c.post(
            "/api/v1/videos/tus",
            headers={"Upload-Concat": f"final;{urls[0]} {relative} {urls[2]}"},
        )
        assert r.status_code == 201, r.text
        final = r.headers["location"]
        head = c.head(final)
        total = sum(map(len, parts))
        assert head.headers["upload-length"] == str(total)
        assert head.headers["upload-offset"] == str(total)
        assert head.headers["upload-concat"].startswith("final;")
        assert patch(c, final, total, b"x").status_code == 403
        video_id = head.headers["vidhost-video-id"]
        expected = hashlib.sha256(b"".join(parts)).hexdigest()
        assert sha256(source_path(tus_server, video_id)) == expected


def test_final_concatenation_refuses_incomplete_partials(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 10, **{"Upload-Concat": "partial"})
        patch(c, url, 0, b"abc")
        r = c.post("/api/v1/videos/tus", headers={"Upload-Concat": f"final;{url}"})
        assert r.status_code == 400
        assert r.json()["code"] == "partial_incomplete"


def test_method_override(tus_server: ServerProcess):
    with client(tus_server) as c:
        url = create(c, 6)
        r = c.post(
            url,
            headers={
                "X-HTTP-Method-Override": "PATCH",
                "Upload-Offset": "0",
                "Content-Type": OCTETS,
            },
            content=b"abc",
        )
        assert r.status_code == 204
        assert r.headers["upload-offset"] == "3"
        r = c.post(url, headers={"X-HTTP-Method-Override": "DELETE"})
        assert r.status_code == 204
        assert c.head(url).status_code == 404


def test_cors_lets_another_origin_use_every_tus_header(tus_server: ServerProcess):
    origin = "https://app.example"
    r = httpx.options(
        tus_server.url + "/api/v1/videos/tus",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,upload-offset,upload-checksum",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] in (origin, "*")
    assert "PATCH" in r.headers["access-control-allow-methods"]
    allowed = r.headers["access-control-allow-headers"].lower()
    for header in (
        "authorization",
        "tus-resumable",
        "upload-length",
        "upload-offset",
        "upload-metadata",
        "upload-defer-length",
        "upload-concat",
        "upload-checksum",
        "x-http-method-override",
        "content-type",
    ):
        assert header in allowed
    with client(tus_server) as c:
        r = c.post("/api/v1/videos/tus", headers={"Upload-Length": "3", "Origin": origin})
        assert r.headers["access-control-allow-origin"] in (origin, "*")
        exposed = r.headers["access-control-expose-headers"].lower()
        for header in (
            "location",
            "upload-offset",
            "upload-length",
            "upload-expires",
            "tus-resumable",
        ):
            assert header in exposed


def test_auth_required_and_other_users_get_403(tus_server: ServerProcess):
    r = httpx.post(tus_server.url + "/api/v1/videos/tus", headers={**TUS, "Upload-Length": "3"})
    assert r.status_code == 401
    with client(tus_server, "alice") as alice, client(tus_server, "mallory") as mallory:
        url = create(alice, 3)
        assert mallory.head(url).status_code == 403
        assert patch(mallory, url, 0, b"abc").status_code == 403
        assert mallory.delete(url).status_code == 403
        assert alice.head(url).headers["upload-offset"] == "0"
        partial = create(alice, 1, **{"Upload-Concat": "partial"})
        patch(alice, partial, 0, b"a")
        r = mallory.post("/api/v1/videos/tus", headers={"Upload-Concat": f"final;{partial}"})
        assert r.status_code == 403
