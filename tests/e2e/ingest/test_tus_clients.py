"""Real tus clients written by others: tuspy (PyPI) and tus-js-client (npm, driven by Node)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from tusclient import client as tus_client

from tests.e2e.ingest.conftest import (
    OCTETS,
    client,
    run_node,
    sha256,
    source_path,
    token,
    video_bytes,
)
from tests.server import ServerProcess


def tuspy(server: ServerProcess, user: str = "alice") -> tus_client.TusClient:
    return tus_client.TusClient(
        server.url + "/api/v1/videos/tus", headers={"Authorization": f"Bearer {token(user)}"}
    )


def video_of(server: ServerProcess, url: str) -> str:
    with client(server) as c:
        head = c.head(url)
        assert head.status_code == 200
        assert head.headers["upload-offset"] == head.headers["upload-length"]
        return head.headers["vidhost-video-id"]


# --- tuspy ------------------------------------------------------------------------------------


def test_tuspy_upload_with_sha1_checksums(tus_server: ServerProcess, clip: Path):
    uploader = tuspy(tus_server).uploader(
        str(clip), chunk_size=16 * 1024, metadata={"filename": "clip.mp4"}, upload_checksum=True
    )
    uploader.upload()
    assert uploader.offset == clip.stat().st_size
    video_id = video_of(tus_server, uploader.url)
    assert sha256(source_path(tus_server, video_id)) == sha256(clip)


def test_tuspy_resume_after_interruption(tus_server: ServerProcess, tmp_path: Path):
    data = video_bytes(300_000)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    first = tuspy(tus_server).uploader(str(path), chunk_size=64 * 1024)
    first.upload_chunk()
    first.upload_chunk()
    url = first.url
    assert first.offset == 128 * 1024
    del first  # the "process" goes away

    second = tuspy(tus_server).uploader(str(path), url=url, chunk_size=64 * 1024)
    assert second.offset == 128 * 1024  # resumed from the server's offset (HEAD)
    second.upload()
    video_id = video_of(tus_server, url)
    assert sha256(source_path(tus_server, video_id)) == hashlib.sha256(data).hexdigest()


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_retried_final_patch_gets_204_and_leaves_nothing(tus_server: ServerProcess, clip: Path):
    """The client lost the 204 of its last PATCH and sends it again (offset = length, no
    bytes), as tuspy does on its next ``upload_chunk`` and as a raw request: 204 with the
    final offset, as tusd answers, and no file appears on disk (issue 24)."""
    uploader = tuspy(tus_server).uploader(str(clip), chunk_size=16 * 1024, retries=0)
    uploader.upload()
    size = clip.stat().st_size
    video_id = video_of(tus_server, uploader.url)
    before = files_under(tus_server.data_dir / "uploads")

    uploader.upload_chunk()  # tuspy: a PATCH at its offset, the end, with an empty body
    assert uploader.request.status_code == 204 and uploader.offset == size

    with client(tus_server) as c:
        for body in (b"", None):
            headers = {"Upload-Offset": str(size), "Content-Type": OCTETS}
            r = c.patch(uploader.url, content=body, headers=headers)
            assert r.status_code == 204, r.text
            assert r.headers["upload-offset"] == str(size)
        # Bytes past the end are still refused, and an earlier offset still conflicts.
        r = c.patch(
            uploader.url, content=b"x", headers={"Upload-Offset": str(size), "Content-Type": OCTETS}
        )
        assert r.status_code == 413, r.text
        r = c.patch(
            uploader.url, content=b"", headers={"Upload-Offset": "0", "Content-Type": OCTETS}
        )
        assert (r.status_code, r.json()["code"]) == (409, "offset_mismatch")
    assert files_under(tus_server.data_dir / "uploads") == before
    assert sha256(source_path(tus_server, video_id)) == sha256(clip)
    assert "upload_data_lost" not in tus_server.log_path.read_text()


# --- tus-js-client ----------------------------------------------------------------------------


def node_env(server: ServerProcess, path: Path, **extra: str) -> dict[str, str]:
    return {
        "VIDHOST_URL": server.url,
        "VIDHOST_TOKEN": token("alice"),
        "UPLOAD_FILE": str(path),
        **extra,
    }


def test_tus_js_client_seed_example(tus_server: ServerProcess, clip: Path, tus_js: Path):
    session_id = str(uuid.uuid4())
    out = run_node(
        tus_js,
        "seed_flow.js",
        node_env(tus_server, clip, SESSION_ID=session_id, CHUNK_SIZE=str(20 * 1024)),
    )
    assert out["tus_url"] == out["upload_url"]  # it wrote the initialised session itself
    assert out["progress"][-1] == "100.00"
    assert out["complete_status"] == 200, out
    video_id = out["complete"]["video_id"]
    with client(tus_server) as c:
        video = c.get(f"/api/videos/{video_id}").json()
        assert video["metadata"]["session_id"] == session_id
        assert video["metadata"]["upload_id"] == out["upload_id"]
        assert video["metadata"]["filetype"] == "video/mp4"
        status = c.get(f"/api/v1/videos/upload/{out['upload_id']}/status").json()
        assert status["completed"] is True
        assert status["video_id"] == video_id
    assert sha256(source_path(tus_server, video_id)) == sha256(clip)


def test_tus_js_client_resume_from_stored_url(
    tus_server: ServerProcess, tmp_path: Path, tus_js: Path
):
    data = video_bytes(1_500_000)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    out = run_node(tus_js, "resume.js", node_env(tus_server, path))
    assert out["url"] == out["stored_url"]
    assert out["offset_at_resume"] >= 512 * 1024
    video_id = video_of(tus_server, out["url"])
    assert sha256(source_path(tus_server, video_id)) == hashlib.sha256(data).hexdigest()


def test_tus_js_client_parallel_uploads_concatenation(
    tus_server: ServerProcess, clip: Path, tus_js: Path
):
    out = run_node(tus_js, "parallel.js", node_env(tus_server, clip))
    with client(tus_server) as c:
        assert c.head(out["url"]).headers["upload-concat"].startswith("final;")
    video_id = video_of(tus_server, out["url"])
    assert sha256(source_path(tus_server, video_id)) == sha256(clip)


def test_tus_js_client_deferred_length_from_a_stream(
    tus_server: ServerProcess, tmp_path: Path, tus_js: Path
):
    data = video_bytes(700_000)
    path = tmp_path / "stream.bin"
    path.write_bytes(data)
    out = run_node(tus_js, "deferred.js", node_env(tus_server, path))
    video_id = video_of(tus_server, out["url"])
    assert sha256(source_path(tus_server, video_id)) == hashlib.sha256(data).hexdigest()


def test_tus_js_client_termination(tus_server: ServerProcess, tmp_path: Path, tus_js: Path):
    path = tmp_path / "t.bin"
    path.write_bytes(os.urandom(1_000_000))
    out = run_node(tus_js, "terminate.js", node_env(tus_server, path))
    with client(tus_server) as c:
        assert c.head(out["url"]).status_code == 404
