"""The walking skeleton's upload -> ready -> stream flow again with ``VIDHOST_STORAGE=s3``,
plus multipart direct uploads and library management on both backends.

Workers read and write only through the storage port: with S3 the data dir holds no media.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.direct_helpers import auth, start_server, stored_keys, wait_state
from tests.e2e.helpers import set_visibility
from tests.s3 import SeaweedS3, plain_put
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", duration=1.5)


@pytest.fixture(scope="module")
def s3_server(
    seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("s3-e2e"), "s3", seaweed)
    yield server
    server.stop()


def _upload(server: ServerProcess, path: Path) -> str:
    with open(path, "rb") as fh:
        r = httpx.post(
            f"{server.url}/upload",
            files={"file": ("clip.mp4", fh, "video/mp4")},
            headers=auth(),
            timeout=60,
        )
    assert r.status_code == 201, r.text
    return str(r.json()["videoId"])


def test_upload_process_stream_on_s3(
    s3_server: ServerProcess, seaweed: SeaweedS3, clip_path: Path
) -> None:
    video_id = _upload(s3_server, clip_path)
    status = wait_state(s3_server, video_id, {"ready"})
    assert status["renditions"] and status["thumbnailUrl"]
    keys = stored_keys(s3_server, seaweed, "s3", video_id)
    assert f"videos/{video_id}/source" in keys and f"videos/{video_id}/hls/master.m3u8" in keys
    local_media = [p for p in (s3_server.data_dir / "storage").rglob("*") if p.is_file()]
    assert local_media == []  # nothing went through a shared filesystem

    base = f"{s3_server.url}/stream/{video_id}"
    assert video_id in httpx.get(f"{s3_server.url}/stream/ready").json()
    manifest = httpx.get(f"{base}/manifest")
    assert manifest.status_code == 200 and "#EXT-X-STREAM-INF" in manifest.text
    variant_name = next(line for line in manifest.text.splitlines() if line.endswith(".m3u8"))
    variant = httpx.get(f"{base}/{variant_name}")
    segment = next(line for line in variant.text.splitlines() if line.startswith("segment/"))
    full = httpx.get(f"{base}/{segment}")
    assert full.status_code == 200 and full.headers["content-type"] == "video/iso.segment"
    part = httpx.get(f"{base}/{segment}", headers={"Range": "bytes=10-209"})
    assert part.status_code == 206 and part.content == full.content[10:210]
    assert part.headers["content-range"] == f"bytes 10-209/{len(full.content)}"
    bad = httpx.get(f"{base}/{segment}", headers={"Range": f"bytes={len(full.content)}-"})
    assert bad.status_code == 416
    assert httpx.get(f"{base}/segment/missing_00001.ts").status_code == 404
    assert httpx.get(f"{base}/poster.jpg").content[:2] == b"\xff\xd8"


def test_redirect_mode_sends_presigned_gets(
    seaweed: SeaweedS3, clip_path: Path, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "redirect", "s3", seaweed, VIDHOST_S3_STREAM_MODE="redirect")
    try:
        video_id = _upload(server, clip_path)
        wait_state(server, video_id, {"ready"})
        base = f"{server.url}/stream/{video_id}"
        manifest = httpx.get(f"{base}/manifest")  # playlists are always served by vidhost
        assert manifest.status_code == 200
        variant = httpx.get(f"{base}/" + manifest.text.strip().splitlines()[-1])
        segment = next(line for line in variant.text.splitlines() if line.startswith("segment/"))
        redirect = httpx.get(f"{base}/{segment}")
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(seaweed.endpoint) and "X-Amz-Signature=" in location
        direct = httpx.get(location, headers={"Range": "bytes=0-99"})
        assert direct.status_code == 206 and len(direct.content) == 100
        followed = httpx.get(f"{base}/{segment}", follow_redirects=True)
        assert followed.status_code == 200 and followed.content[4:8] == b"styp"  # CMAF

        # Private: no redirect without a token; with one, the pre-signed redirect after the check.
        set_visibility(server.url, video_id, "private", auth())
        refused = httpx.get(f"{base}/{segment}")
        assert (refused.status_code, refused.json()["code"]) == (403, "playback_token_required")
        token = httpx.post(
            f"{server.url}/api/videos/{video_id}/playback-token", headers=auth()
        ).json()["token"]
        tokenized = httpx.get(f"{base}/{segment}", params={"token": token})
        assert tokenized.status_code == 302 and "X-Amz-Signature=" in tokenized.headers["location"]
        assert tokenized.headers["cache-control"] == "no-store"
    finally:
        server.stop()


def test_multipart_direct_upload(seaweed: SeaweedS3, tmp_path: Path) -> None:
    """A file above the threshold gets pre-signed part URLs; parts upload in parallel."""
    big = make_clip(
        tmp_path / "big.mp4",
        duration=2.0,
        audio=False,
        extra_args=["-vf", "noise=alls=100:allf=t", "-qp", "0"],
    )
    data = big.read_bytes()
    part_size = 5 * 1024 * 1024
    assert len(data) > part_size
    server = start_server(
        tmp_path / "mp",
        "s3",
        seaweed,
        VIDHOST_MULTIPART_THRESHOLD=str(1024 * 1024),
        VIDHOST_MULTIPART_PART_SIZE=str(part_size),
    )
    try:
        body = {"filename": "big.mp4", "fileSize": len(data), "mimeType": "video/mp4"}
        r = httpx.post(f"{server.url}/api/videos/upload-url", json=body, headers=auth())
        assert r.status_code == 200, r.text
        ticket = r.json()
        plan = ticket["multipart"]
        assert plan["partSize"] == part_size and plan["partCount"] == 2
        # Re-sign part 2 (as a client would after expiry) and upload both parts concurrently.
        r = httpx.post(
            f"{server.url}/api/videos/{ticket['videoId']}/multipart/parts",
            json={"partNumbers": [2]},
            headers=auth(),
        )
        urls = {p["partNumber"]: p["url"] for p in plan["parts"]}
        urls[2] = r.json()["parts"][0]["url"]
        from concurrent.futures import ThreadPoolExecutor

        def send(n: int) -> tuple[int, str]:
            chunk = data[(n - 1) * part_size : n * part_size]
            response = plain_put(urls[n], chunk)
            assert response.status_code == 200, response.text
            return n, response.headers["etag"]

        with ThreadPoolExecutor(2) as pool:
            etags = list(pool.map(send, [1, 2]))
        r = httpx.post(
            plan["completeUrl"],
            json={"parts": [{"partNumber": n, "etag": e} for n, e in etags]},
            headers=auth(),
        )
        assert r.status_code == 200, r.text
        status = wait_state(server, ticket["videoId"], {"ready"}, timeout=120)
        assert status["duration"] and status["duration"] > 1.5

        # A second multipart upload can be aborted: its parts are discarded.
        ticket2 = httpx.post(
            f"{server.url}/api/videos/upload-url", json=body, headers=auth()
        ).json()
        abort = httpx.delete(ticket2["multipart"]["abortUrl"], headers=auth())
        assert abort.status_code == 204
        client = seaweed.client()
        uploads = client.list_multipart_uploads(Bucket=server.env["S3_BUCKET_NAME"])  # type: ignore[attr-defined]
        assert uploads.get("Uploads") in (None, [])
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_library_list_and_delete(
    backend: str, request: pytest.FixtureRequest, clip_path: Path, tmp_path: Path
) -> None:
    seaweed = request.getfixturevalue("seaweed") if backend == "s3" else None
    server = start_server(tmp_path / "lib", backend, seaweed)
    try:
        ready_id = _upload(server, clip_path)
        pending = [
            httpx.post(f"{server.url}/api/videos/init", headers=auth()).json()["videoId"]
            for _ in range(3)
        ]
        httpx.post(f"{server.url}/api/videos/init", headers=auth("bob"))
        wait_state(server, ready_id, {"ready"})

        page = httpx.get(f"{server.url}/api/videos", headers=auth()).json()
        assert page["total"] == 4 and {v["id"] for v in page["videos"]} == {ready_id, *pending}
        first = httpx.get(f"{server.url}/api/videos?limit=2&offset=0", headers=auth()).json()
        second = httpx.get(f"{server.url}/api/videos?limit=2&offset=2", headers=auth()).json()
        ids = [v["id"] for v in first["videos"] + second["videos"]]
        assert len(ids) == 4 and set(ids) == {ready_id, *pending}
        ready = httpx.get(f"{server.url}/api/videos?state=ready", headers=auth()).json()
        assert [v["id"] for v in ready["videos"]] == [ready_id]
        assert ready["videos"][0]["playback"]["hls"]
        created = httpx.get(f"{server.url}/api/videos?state=created", headers=auth()).json()
        assert created["total"] == 3
        bad = httpx.get(f"{server.url}/api/videos?state=bogus", headers=auth())
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_state"
        assert httpx.get(f"{server.url}/api/videos").status_code == 401

        assert stored_keys(server, seaweed, backend, ready_id)
        foreign = httpx.delete(f"{server.url}/api/videos/{ready_id}", headers=auth("bob"))
        assert foreign.status_code == 403
        r = httpx.delete(f"{server.url}/api/videos/{ready_id}", headers=auth())
        assert r.status_code == 200 and r.json()["videoId"] == ready_id
        assert stored_keys(server, seaweed, backend, ready_id) == []
        assert httpx.get(f"{server.url}/api/videos/{ready_id}", headers=auth()).status_code == 404
        assert httpx.get(f"{server.url}/stream/{ready_id}/manifest").status_code == 404
        assert (
            httpx.delete(f"{server.url}/api/videos/{ready_id}", headers=auth()).status_code == 404
        )
        after = httpx.get(f"{server.url}/api/videos", headers=auth()).json()
        assert after["total"] == 3
    finally:
        server.stop()
