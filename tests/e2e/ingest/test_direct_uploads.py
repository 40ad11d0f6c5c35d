"""Seed 000 hybrid flow and seed 002 upload URLs, against local storage and SeaweedFS.

The client side is a plain HTTP PUT to the pre-signed URL: no SDK, no credentials.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clips import make_audio, make_clip
from tests.e2e.direct_helpers import auth, start_server, stored_keys, wait_state
from tests.s3 import SeaweedS3, plain_put
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", duration=1.0)
    return path.read_bytes()


@pytest.fixture(scope="module", params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def api(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    seaweed = request.getfixturevalue("seaweed") if backend == "s3" else None
    server = start_server(tmp_path_factory.mktemp(f"direct-{backend}"), backend, seaweed)
    yield server
    server.stop()


def _seaweed(request: pytest.FixtureRequest, backend: str) -> SeaweedS3 | None:
    return request.getfixturevalue("seaweed") if backend == "s3" else None


def test_seed000_hybrid_flow_to_ready(
    api: ServerProcess, backend: str, clip: bytes, request: pytest.FixtureRequest
) -> None:
    r = httpx.post(f"{api.url}/api/videos/init", json={}, headers=auth())
    assert r.status_code == 200, r.text
    init = r.json()
    assert set(init) >= {"videoId", "uploadUrl", "expiresAt", "method", "headers"}
    assert init["method"] == "PUT"
    video_id = init["videoId"]
    assert f"videos/{video_id}/source" in init["uploadUrl"]
    if backend == "s3":
        assert "X-Amz-Signature=" in init["uploadUrl"]
    # The empty record exists before any byte is sent.
    status = httpx.get(f"{api.url}/api/videos/{video_id}/status", headers=auth()).json()
    assert status["state"] == "created" and status["status"] == "uploading"

    put = plain_put(init["uploadUrl"], clip, init["headers"])
    assert put.status_code == 200, put.text
    # Processing starts without metadata and without a client "complete" call.
    wait_state(api, video_id, {"uploaded", "processing", "ready"})
    meta = {
        "title": "Holiday",
        "description": "A day at the sea",
        "tags": ["sea", "summer"],
        "visibility": "unlisted",
    }
    r = httpx.put(f"{api.url}/api/videos/{video_id}/metadata", json=meta, headers=auth())
    assert r.status_code == 200 and r.json() == {"message": "Metadata accepted"}
    ready = wait_state(api, video_id, {"ready"})
    assert ready["playbackUrl"].endswith(f"/stream/{video_id}/manifest")

    details = httpx.get(f"{api.url}/api/videos/{video_id}", headers=auth()).json()
    assert details["title"] == "Holiday" and details["visibility"] == "unlisted"
    assert details["tags"] == ["sea", "summer"]
    assert details["playback"]["hls"] == ready["playbackUrl"]
    manifest = httpx.get(ready["playbackUrl"])
    assert manifest.status_code == 200 and "#EXTM3U" in manifest.text
    keys = stored_keys(api, _seaweed(request, backend), backend, video_id)
    assert f"videos/{video_id}/source" in keys
    assert any(k.endswith(".m4s") for k in keys) and f"videos/{video_id}/poster.jpg" in keys


def test_metadata_before_upload_is_kept(api: ServerProcess, clip: bytes) -> None:
    init = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()
    meta = {"title": "First", "tags": [], "visibility": "private"}
    r = httpx.put(f"{api.url}/api/videos/{init['videoId']}/metadata", json=meta, headers=auth())
    assert r.status_code == 200
    assert plain_put(init["uploadUrl"], clip, init["headers"]).status_code == 200
    # An explicit complete call is allowed too and is idempotent with the watcher.
    r = httpx.post(f"{api.url}/api/videos/{init['videoId']}/complete", headers=auth())
    assert r.status_code == 200 and r.json()["state"] in ("uploaded", "processing", "ready")
    wait_state(api, init["videoId"], {"ready"})
    details = httpx.get(f"{api.url}/api/videos/{init['videoId']}", headers=auth()).json()
    assert details["title"] == "First" and details["visibility"] == "private"


def _flip(url: str, name: str) -> str:
    """Change the last character of query parameter ``name`` (still a digit)."""

    def repl(m: re.Match[str]) -> str:
        return m.group(1) + m.group(2) + ("1" if m.group(3) != "1" else "2")

    return re.sub(rf"([?&]{name}=)([^&]*)([^&])(?=&|$)", repl, url)


def test_tampered_or_other_key_urls_are_refused(api: ServerProcess, backend: str) -> None:
    a = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()
    b = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()
    other_key = a["uploadUrl"].replace(a["videoId"], b["videoId"])
    assert plain_put(other_key, b"x" * 100).status_code == 403
    sig_name = "X-Amz-Signature" if backend == "s3" else "sig"
    expires_name = "X-Amz-Expires" if backend == "s3" else "expires"
    assert plain_put(_flip(a["uploadUrl"], sig_name), b"x").status_code == 403
    assert plain_put(_flip(a["uploadUrl"], expires_name), b"x").status_code == 403
    for init in (a, b):
        status = httpx.get(f"{api.url}/api/videos/{init['videoId']}/status", headers=auth())
        assert status.json()["state"] == "created"


def test_expired_url_is_refused(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server = start_server(
        tmp_path / "short", backend, _seaweed(request, backend), VIDHOST_UPLOAD_URL_TTL="1"
    )
    try:
        init = httpx.post(f"{server.url}/api/videos/init", headers=auth()).json()
        time.sleep(2.5)
        response = plain_put(init["uploadUrl"], b"late bytes", init["headers"])
        assert response.status_code == 403
        assert stored_keys(server, _seaweed(request, backend), backend, init["videoId"]) == []
    finally:
        server.stop()


def test_seed002_upload_url(api: ServerProcess, clip: bytes) -> None:
    body = {
        "filename": "clip.mp4",
        "fileSize": len(clip),
        "mimeType": "video/mp4",
        "metadata": {"campaign": "spring"},
    }
    assert httpx.post(f"{api.url}/api/videos/upload-url", json=body).status_code == 401
    too_big = {**body, "fileSize": 500 * 1024 * 1024 + 1}
    r = httpx.post(f"{api.url}/api/videos/upload-url", json=too_big, headers=auth())
    assert r.status_code == 400 and r.json()["error"] == "File too large"
    assert r.json()["code"] == "file_size_too_large"
    not_video = {**body, "mimeType": "image/png"}
    r = httpx.post(f"{api.url}/api/videos/upload-url", json=not_video, headers=auth())
    assert r.status_code == 400 and r.json()["error"] == "Invalid file type"

    r = httpx.post(f"{api.url}/api/videos/upload-url", json=body, headers=auth())
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["provider"] == "vidhost" and data["expiresAt"] and data["videoId"]
    assert data["headers"] == {"Content-Type": "video/mp4"}
    assert plain_put(data["uploadUrl"], clip, data["headers"]).status_code == 200
    status = wait_state(api, data["videoId"], {"ready"})
    assert status["status"] == "ready" and status["provider"] == "vidhost"
    details = httpx.get(f"{api.url}/api/videos/{data['videoId']}", headers=auth()).json()
    assert details["metadata"] == {"campaign": "spring"} and details["filename"] == "clip.mp4"


def test_seed002_upload_url_of_an_audio_file(api: ServerProcess, tmp_path: Path) -> None:
    """An ``audio/*`` MIME type is accepted; the MP3 becomes an audio-only video (ADR 0066)."""
    mp3 = make_audio(tmp_path / "tone.mp3", duration=9.0).read_bytes()
    body = {"filename": "tone.mp3", "fileSize": len(mp3), "mimeType": "audio/mpeg"}
    r = httpx.post(f"{api.url}/api/videos/upload-url", json=body, headers=auth())
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["headers"] == {"Content-Type": "audio/mpeg"}
    assert plain_put(data["uploadUrl"], mp3, data["headers"]).status_code == 200
    wait_state(api, data["videoId"], {"ready"})
    details = httpx.get(f"{api.url}/api/videos/{data['videoId']}", headers=auth()).json()
    assert details["videoCodec"] is None and details["audioCodec"] == "mp3", details
    master = httpx.get(details["playbackUrl"]).text
    assert 'CODECS="mp4a.40.2"' in master and "RESOLUTION" not in master


def test_declared_size_is_enforced_on_the_stored_object(
    api: ServerProcess, backend: str, clip: bytes, request: pytest.FixtureRequest
) -> None:
    body = {"filename": "a.mp4", "fileSize": 1000, "mimeType": "video/mp4", "metadata": {}}
    data = httpx.post(f"{api.url}/api/videos/upload-url", json=body, headers=auth()).json()
    response = plain_put(data["uploadUrl"], clip, data["headers"])
    if backend == "local":
        assert response.status_code == 413
        assert response.json()["code"] == "file_too_large"
    status = wait_state(api, data["videoId"], {"failed"})
    assert status["error"]["code"] == "file_too_large" and status["status"] == "error"
    assert stored_keys(api, _seaweed(request, backend), backend, data["videoId"]) == []


@pytest.mark.parametrize(
    "meta",
    [
        {"title": "", "tags": []},
        {"title": "x" * 201},
        {"title": "ok", "description": "d" * 5001},
        {"title": "ok", "tags": [f"t{i}" for i in range(21)]},
        {"title": "ok", "tags": ["x" * 51]},
        {"title": "ok", "tags": ["  "]},
        {"title": "ok", "visibility": "secret"},
    ],
)
def test_metadata_validation(api: ServerProcess, meta: dict[str, object]) -> None:
    video_id = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()["videoId"]
    r = httpx.put(f"{api.url}/api/videos/{video_id}/metadata", json=meta, headers=auth())
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text


def test_metadata_for_unknown_or_foreign_video(api: ServerProcess) -> None:
    ok = {"title": "t"}
    r = httpx.put(f"{api.url}/api/videos/nope/metadata", json=ok, headers=auth())
    assert r.status_code == 404
    video_id = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()["videoId"]
    r = httpx.put(f"{api.url}/api/videos/{video_id}/metadata", json=ok, headers=auth("mallory"))
    assert r.status_code == 403
    assert httpx.put(f"{api.url}/api/videos/{video_id}/metadata", json=ok).status_code == 401


def test_reusing_a_url_after_completion_is_refused(api: ServerProcess, clip: bytes) -> None:
    init = httpx.post(f"{api.url}/api/videos/init", headers=auth()).json()
    assert plain_put(init["uploadUrl"], clip, init["headers"]).status_code == 200
    wait_state(api, init["videoId"], {"ready"})
    second = plain_put(init["uploadUrl"], b"replacement", init["headers"])
    details = httpx.get(f"{api.url}/api/videos/{init['videoId']}", headers=auth()).json()
    assert details["state"] == "ready"
    if second.status_code == 200:  # S3 accepts the PUT; vidhost must not re-process it
        assert details["sizeBytes"] == len(clip)
    else:
        assert second.status_code == 409


def _enhancement(api: ServerProcess, video_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(f"{api.url}/internal/video-enhancement-status/{video_id}", headers=auth())
        if r.status_code == 200 and r.json()["status"] in ("completed", "failed"):
            return dict(r.json())
        time.sleep(0.2)
    raise AssertionError(f"enhancement of {video_id} did not finish")


def test_enhance_option_on_init_upload_url_and_metadata(
    api: ServerProcess, backend: str, clip: bytes
) -> None:
    upload_url_body = {"filename": "c.mp4", "fileSize": len(clip), "mimeType": "video/mp4"}
    for path, body in (
        ("/api/videos/init", {"enhance": "no-such-preset"}),
        ("/api/videos/upload-url", {**upload_url_body, "enhance": "no-such-preset"}),
    ):
        r = httpx.post(api.url + path, json=body, headers=auth())
        assert (r.status_code, r.json()["code"]) == (400, "unknown_preset"), path

    # Asked for at init: planned with the other tasks.
    init = httpx.post(
        f"{api.url}/api/videos/init", json={"enhance": "default"}, headers=auth()
    ).json()
    assert plain_put(init["uploadUrl"], clip, init["headers"]).status_code == 200
    assert _enhancement(api, init["videoId"])["status"] == "completed"

    # Asked for in the metadata after processing was planned without it: started then.
    other = httpx.post(
        f"{api.url}/api/videos/upload-url", json=upload_url_body, headers=auth()
    ).json()
    assert plain_put(other["uploadUrl"], clip, other["headers"]).status_code == 200
    wait_state(api, other["videoId"], {"ready"})
    missing = httpx.get(
        f"{api.url}/internal/video-enhancement-status/{other['videoId']}", headers=auth()
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "task_not_found")
    meta = {"title": "Later", "enhance": "default"}
    r = httpx.put(f"{api.url}/api/videos/{other['videoId']}/metadata", json=meta, headers=auth())
    assert r.status_code == 200, r.text
    assert _enhancement(api, other["videoId"])["status"] == "completed"
