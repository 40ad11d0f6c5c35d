"""Seed 003's session API, from init to a processing video, and the limits it enforces."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.ingest.conftest import client, create, patch, sha256, source_path, start_server
from tests.server import ServerProcess


def init(c: httpx.Client, size: int, **extra: object) -> dict:
    body = {
        "session_id": "8d5e1a1e-0b0c-4d7e-9c36-2b1e6a9f0c11",
        "filename": "practice_video.mp4",
        "file_size": size,
        "duration_seconds": 2,
        "content_type": "video/mp4",
        **extra,
    }
    r = c.post("/api/v1/videos/upload/init", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_init_status_tus_complete_is_one_video(tus_server: ServerProcess, clip: Path):
    data = clip.read_bytes()
    with client(tus_server) as c:
        s = init(c, len(data))
        assert set(s) >= {"upload_id", "upload_url", "expires_at", "chunk_size"}
        assert s["upload_url"].endswith(f"/api/v1/videos/tus/{s['upload_id']}")
        assert s["chunk_size"] == 5 * 1024 * 1024
        assert s["expires_at"].endswith("Z")
        st = c.get(f"/api/v1/videos/upload/{s['upload_id']}/status").json()
        assert st == {
            "upload_id": s["upload_id"],
            "offset": 0,
            "size": len(data),
            "completed": False,
            "expires_at": s["expires_at"],
            "percentage": 0.0,
            "video_id": st["video_id"],
        }
        # Completing an incomplete upload is refused.
        r = c.post("/api/v1/videos/upload/complete", json={"upload_id": s["upload_id"]})
        assert r.status_code == 409
        assert r.json()["code"] == "upload_incomplete"
        # tus-js-client POSTs to upload_url (its endpoint): the session's own upload.
        r = c.post(s["upload_url"], headers={"Upload-Length": str(len(data))})
        assert r.status_code == 201
        assert r.headers["location"] == s["upload_url"]
        half = len(data) // 2
        assert patch(c, s["upload_url"], 0, data[:half]).status_code == 204
        st = c.get(f"/api/v1/videos/upload/{s['upload_id']}/status").json()
        assert st["offset"] == half
        assert st["percentage"] == round(half / len(data) * 100, 2)
        assert patch(c, s["upload_url"], half, data[half:]).status_code == 204
        st = c.get(f"/api/v1/videos/upload/{s['upload_id']}/status").json()
        assert st["completed"] is True
        assert st["percentage"] == 100.0
        video_id = st["video_id"]
        for _ in range(2):  # idempotent: processing starts once
            r = c.post("/api/v1/videos/upload/complete", json={"upload_id": s["upload_id"]})
            assert r.status_code == 200, r.text
            assert r.json()["video_id"] == video_id
            assert r.json()["status"] in ("uploaded", "processing", "ready")
        video = c.get(f"/api/videos/{video_id}").json()
        assert video["metadata"]["session_id"] == "8d5e1a1e-0b0c-4d7e-9c36-2b1e6a9f0c11"
        assert video["metadata"]["upload_id"] == s["upload_id"]
        assert sha256(source_path(tus_server, video_id)) == sha256(clip)
        assert video["state"] in ("uploaded", "processing", "ready")
        # Each planned task exists once: completing twice did not start processing twice.
        assert sorted(t["type"] for t in video["tasks"]) == ["metadata_extraction", "transcode"]


def test_size_limit_at_init_and_unknown_fields(tus_server: ServerProcess):
    with client(tus_server) as c:
        r = c.post(
            "/api/v1/videos/upload/init",
            json={"session_id": "s", "filename": "a.mp4", "file_size": 500 * 1024 * 1024 + 1},
        )
        assert r.status_code == 413
        r = c.post("/api/v1/videos/upload/init", json={"filename": "a.mp4", "file_size": 1})
        assert r.status_code == 400
        assert r.json()["code"] == "invalid_request"
        assert c.get("/api/v1/videos/upload/" + "f" * 32 + "/status").status_code == 404


def test_sessions_belong_to_their_user(tus_server: ServerProcess):
    with client(tus_server, "alice") as alice, client(tus_server, "mallory") as mallory:
        s = init(alice, 10)
        uid = s["upload_id"]
        assert mallory.get(f"/api/v1/videos/upload/{uid}/status").status_code == 403
        assert mallory.post(s["upload_url"], headers={"Upload-Length": "10"}).status_code == 403
        r = mallory.post("/api/v1/videos/upload/complete", json={"upload_id": uid})
        assert r.status_code == 403
        assert mallory.delete(f"/api/v1/videos/upload/{uid}").status_code == 403
        assert httpx.get(f"{tus_server.url}/api/v1/videos/upload/{uid}/status").status_code == 401
        # Abort by the owner removes it.
        assert alice.delete(f"/api/v1/videos/upload/{uid}").status_code == 204
        assert alice.get(f"/api/v1/videos/upload/{uid}/status").status_code == 404


def test_processing_starts_when_the_last_byte_arrives(tmp_path: Path, clip: Path):
    server = start_server(
        tmp_path / "d", VIDHOST_EMBEDDED_WORKER="true", VIDHOST_LADDER_HEIGHTS="[120]"
    )
    try:
        data = clip.read_bytes()
        with client(server) as c:
            url = create(c, len(data))
            assert patch(c, url, 0, data).status_code == 204
            video_id = c.head(url).headers["vidhost-video-id"]
            deadline = time.monotonic() + 90
            state = None
            while time.monotonic() < deadline:
                state = c.get(f"/api/videos/{video_id}/status").json()
                if state["state"] in ("ready", "failed"):
                    break
                time.sleep(0.5)
            assert state is not None and state["state"] == "ready", state
    finally:
        server.stop()


def test_duration_limit_and_seed_variable_names(tmp_path: Path, clip: Path):
    server = start_server(
        tmp_path / "d", MAX_VIDEO_DURATION_MINUTES="0.02", MAX_VIDEO_SIZE_MB="1"
    )  # 1.2 s and 1 MiB
    try:
        with client(server) as c:
            assert c.options("/api/v1/videos/tus").headers["tus-max-size"] == str(1024 * 1024)
            r = c.post(
                "/api/v1/videos/upload/init",
                json={"session_id": "s", "filename": "a.mp4", "file_size": 2 * 1024 * 1024},
            )
            assert r.status_code == 413
            r = c.post(
                "/api/v1/videos/upload/init",
                json={
                    "session_id": "s",
                    "filename": "a.mp4",
                    "file_size": 10,
                    "duration_seconds": 5,
                },
            )
            assert r.status_code == 400
            assert r.json()["code"] == "duration_too_long"
            data = clip.read_bytes()  # 2 s: over the probed-duration limit
            s = init(c, len(data), duration_seconds=1)
            assert patch(c, s["upload_url"], 0, data).status_code == 204
            r = c.post("/api/v1/videos/upload/complete", json={"upload_id": s["upload_id"]})
            assert r.status_code == 400
            assert r.json()["code"] == "duration_too_long"
            video_id = c.get(f"/api/v1/videos/upload/{s['upload_id']}/status").json()["video_id"]
            video = c.get(f"/api/videos/{video_id}").json()
            assert video["state"] == "failed"
            assert video["error"]["code"] == "duration_too_long"
    finally:
        server.stop()


def test_not_a_video_is_refused_with_its_code(tus_server: ServerProcess):
    with client(tus_server) as c:
        s = init(c, 1000)
        assert patch(c, s["upload_url"], 0, b"\0" * 1000).status_code == 204
        r = c.post("/api/v1/videos/upload/complete", json={"upload_id": s["upload_id"]})
        assert r.status_code == 400
        assert r.json()["code"] in ("not_a_video", "corrupt_media", "empty_file")


def test_expired_uploads_are_410_then_cleaned_up(tmp_path: Path):
    server = start_server(tmp_path / "d", VIDHOST_UPLOAD_EXPIRY_SECONDS="1.5")
    try:
        with client(server) as c:
            url = create(c, 10)
            assert patch(c, url, 0, b"abc").status_code == 204
            upload_id = url.rsplit("/", 1)[1]
            time.sleep(2)
            assert c.head(url).status_code == 410
            assert patch(c, url, 3, b"def").status_code == 410
            assert c.get(f"/api/v1/videos/upload/{upload_id}/status").status_code == 410
            env = {"VIDHOST_DATA_DIR": str(server.data_dir), "VIDHOST_JWT_SECRET": "x" * 32}
            out = subprocess.run(
                [sys.executable, "-m", "vidhost", "cleanup"],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            assert f"removed upload {upload_id} reason=expired_upload" in out
            assert c.head(url).status_code == 404
            assert not (server.data_dir / "uploads" / upload_id).exists()
    finally:
        server.stop()


@pytest.mark.parametrize("dry_run", [True, False])
def test_cleanup_never_touches_an_upload_being_written(tmp_path: Path, dry_run: bool):
    """A locked (being written) expired upload survives the sweeper; the DELETE re-checks."""
    from datetime import timedelta

    from vidhost.app.main import build_container
    from vidhost.app.settings import Settings
    from vidhost.core.models import utcnow
    from vidhost.ingest.tus.cleanup import expired_upload_sweeper

    container = build_container(
        Settings(data_dir=tmp_path, upload_expiry_seconds=0, auth="none", jwt_secret="x" * 32)
    )
    try:
        uploads = container.uploads
        locked = uploads.create(owner="a", length=10, metadata={})
        idle = uploads.create(owner="a", length=10, metadata={})
        token = uploads.locks.acquire(locked.id)
        assert token is not None
        later = utcnow() + timedelta(seconds=1)
        removed = {r.id for r in expired_upload_sweeper(uploads)(later, dry_run)}
        assert removed == {idle.id}
        assert uploads.repo.get(locked.id) is not None
        assert (uploads.repo.get(idle.id) is None) is not dry_run
    finally:
        container.close()
