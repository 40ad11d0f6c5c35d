"""Seed 004 processing over a real server: status endpoints, analysis, enhanced file, thumbnails."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import wait_for_state
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e
SECRET = "e2e-processing-secret-of-at-least-32-bytes"
ALICE = {"Authorization": f"Bearer {issue_token(SECRET, 'alice')}"}
BOB = {"Authorization": f"Bearer {issue_token(SECRET, 'bob')}"}
DONE = ("completed", "failed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("processing-e2e")
    proc = ServerProcess(
        data,
        env={
            "VIDHOST_JWT_SECRET": SECRET,
            "VIDHOST_WORKER_CONCURRENCY": "1",
            "VIDHOST_LADDER_HEIGHTS": "[240]",
        },
    ).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    long_mkv = make_clip(d / "long.mkv", duration=12)
    data = long_mkv.read_bytes()
    broken = d / "broken.mkv"
    broken.write_bytes(data[: len(data) // 4])
    return {
        "main": make_clip(d / "main.mp4", duration=6, width=640, height=360, fps=30),
        "small": make_clip(d / "small.mp4", duration=4, width=320, height=180),
        "broken": broken,
    }


def upload(server: ServerProcess, clip: Path, **fields: str) -> httpx.Response:
    return httpx.post(
        server.url + "/upload",
        files={"file": (clip.name, clip.read_bytes(), "video/mp4")},
        data=fields,
        headers=ALICE,
        timeout=60,
    )


def status(server: ServerProcess, kind: str, file_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/internal/{kind}-status/{file_id}", headers=ALICE, timeout=10)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"status", "progress", "error", "last_updated"}
    return body


def watch(server: ServerProcess, file_id: str, kinds: list[str], timeout: float = 120) -> dict:
    seen: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for kind in kinds:
            body = status(server, kind, file_id)
            if not seen[kind] or seen[kind][-1] != body:
                seen[kind].append(body)
        if all(seen[k][-1]["status"] in DONE for k in kinds):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not finished: {seen}\n{server.log()}")


def wait_ready(server: ServerProcess, file_id: str) -> dict[str, Any]:
    return wait_for_state(server.url, file_id, ALICE, {"ready", "failed"}, 120, details=True)


ORDER = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}


def test_status_lifecycle_and_results(server: ServerProcess, clips: dict[str, Path]) -> None:
    r = upload(server, clips["main"], enhance="denoise")
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    seen = watch(server, file_id, ["metadata-extraction", "video-enhancement"])
    for kind, history in seen.items():
        statuses = [b["status"] for b in history]
        assert statuses[0] == "pending", (kind, statuses)
        assert statuses[-1] == "completed", (kind, history)
        assert [ORDER[s] for s in statuses] == sorted(ORDER[s] for s in statuses)
        progress = [b["progress"] for b in history]
        assert progress == sorted(progress) and progress[-1] == 100
        assert all(b["error"] is None for b in history)
    enhancement = [b["status"] for b in seen["video-enhancement"]]
    assert "processing" in enhancement
    assert any(0 < b["progress"] < 100 for b in seen["video-enhancement"])

    video = wait_ready(server, file_id)
    assert video["state"] == "ready"
    assert video["analysisUrl"].endswith(f"/api/videos/{file_id}/analysis")
    analysis = httpx.get(video["analysisUrl"], headers=ALICE).json()
    assert analysis["file_id"] == file_id
    assert analysis["resolution"] == {"width": 640, "height": 360}
    assert analysis["frame_count"] == 180 and analysis["fps"] == 30
    assert len(analysis["color_profile"]["histograms"]["r"]) == 256
    assert httpx.get(video["analysisUrl"], headers=BOB).status_code == 403

    enhanced = httpx.get(video["enhancedUrl"], headers={**ALICE, "Range": "bytes=0-1023"})
    assert enhanced.status_code == 206
    assert enhanced.headers["content-range"].startswith("bytes 0-1023/")
    full = httpx.get(video["enhancedUrl"], headers=ALICE, timeout=30)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(full.content)) as c:
        assert c.duration is not None and abs(c.duration / 1e6 - 6.0) < 0.2


def test_failed_status_for_a_broken_source(server: ServerProcess, clips: dict[str, Path]) -> None:
    r = upload(server, clips["broken"])
    assert r.status_code == 201, r.text  # probes fine at upload
    file_id = r.json()["file_id"]
    seen = watch(server, file_id, ["metadata-extraction"])
    last = seen["metadata-extraction"][-1]
    assert last["status"] == "failed"
    assert "truncated" in last["error"]
    video = wait_ready(server, file_id)
    assert video["state"] == "ready"  # a metadata failure never fails playback
    assert video["analysisUrl"] is None
    r = httpx.get(f"{server.url}/api/videos/{file_id}/analysis", headers=ALICE)
    assert r.status_code == 409 and r.json()["code"] == "not_ready"


def test_unknown_ids_and_missing_tasks(server: ServerProcess, clips: dict[str, Path]) -> None:
    for kind in ("metadata-extraction", "video-enhancement"):
        r = httpx.get(f"{server.url}/internal/{kind}-status/no-such-file", headers=ALICE)
        assert r.status_code == 404 and r.json()["code"] == "video_not_found"
    file_id = upload(server, clips["small"]).json()["file_id"]
    r = httpx.get(f"{server.url}/internal/video-enhancement-status/{file_id}", headers=ALICE)
    assert r.status_code == 404 and r.json()["code"] == "task_not_found"
    # Seed 004 statuses answer the owner only (ADR 0050).
    r = httpx.get(f"{server.url}/internal/video-enhancement-status/{file_id}")
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    r = httpx.get(f"{server.url}/internal/metadata-extraction-status/{file_id}", headers=BOB)
    assert (r.status_code, r.json()["code"]) == (403, "access_denied")
    bad = upload(server, clips["small"], enhance="sparkle")
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_preset"
    bad = upload(server, clips["small"], enhance="default:sharpen=99")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_enhance_option"


def image_size(data: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(data)) as c:
        frame = next(c.decode(video=0))
        return frame.width, frame.height


def test_thumbnails_storyboard_and_previews(server: ServerProcess, clips: dict[str, Path]) -> None:
    file_id = upload(server, clips["small"]).json()["file_id"]
    base = f"{server.url}/api/videos/{file_id}"
    cases = [
        ("thumbnail.jpg?time=1&width=160", "image/jpeg", (160, 90)),
        ("thumbnail.png?time=2.5&width=100&height=100&fit=contain", "image/png", (100, 56)),
        ("thumbnail.jpg?width=100&height=100&fit=cover", "image/jpeg", (100, 100)),
        ("thumbnail.png?width=100&height=100&fit=pad", "image/png", (100, 100)),
    ]
    for path, media_type, size in cases:
        r = httpx.get(f"{base}/{path}", headers=ALICE, timeout=60)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"] == media_type
        assert image_size(r.content) == size, path
    webp = httpx.get(f"{base}/thumbnail.webp?height=90", headers=ALICE, timeout=60)
    assert webp.status_code == 200 and webp.content[8:12] == b"WEBP"
    assert image_size(webp.content) == (160, 90)

    # Cached: the same object (ETag) is served again, and revalidation gives 304.
    first = httpx.get(f"{base}/thumbnail.jpg?time=1&width=160", headers=ALICE)
    again = httpx.get(
        f"{base}/thumbnail.jpg?time=1&width=160",
        headers={**ALICE, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304

    vtt = httpx.get(f"{base}/storyboard.vtt", headers=ALICE, timeout=60)
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    lines = vtt.text.splitlines()
    assert lines[0] == "WEBVTT"
    cues = [ln for ln in lines if ln.startswith("storyboard.jpg#xywh=")]
    assert len(cues) == 2  # 4 s at one tile per 2 s
    x, y, w, h = map(int, cues[-1].split("=")[1].split(","))
    sprite = httpx.get(f"{base}/storyboard.jpg", headers=ALICE, timeout=60)
    assert sprite.status_code == 200
    assert image_size(sprite.content) == (x + w, y + h) == (320, 90)

    gif = httpx.get(f"{base}/preview.gif?start=1&duration=2&width=120&fps=5", headers=ALICE)
    assert gif.status_code == 200 and gif.content[:6] == b"GIF89a"
    with av.open(io.BytesIO(gif.content)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == 10 and (frames[0].width, frames[0].height) == (120, 68)
    anim = httpx.get(f"{base}/preview.webp?duration=1", headers=ALICE)
    assert anim.status_code == 200 and anim.content[8:12] == b"WEBP" and b"ANIM" in anim.content

    errors = [
        ("thumbnail.bmp", 400, "unsupported_format"),
        ("preview.mp4", 400, "unsupported_format"),
        ("thumbnail.jpg?time=30", 400, "bad_time"),
        ("thumbnail.jpg?width=5", 400, "invalid_request"),
        ("thumbnail.jpg?fit=squash", 400, "invalid_request"),
        ("preview.gif?duration=60", 400, "invalid_request"),
    ]
    for path, code, error in errors:
        r = httpx.get(f"{base}/{path}", headers=ALICE)
        assert (r.status_code, r.json()["code"]) == (code, error), path
    # A public video's images are open to anyone, like Mux's image host (ADR 0050).
    for who in (BOB, {}):
        r = httpx.get(f"{base}/thumbnail.jpg", headers=who)
        assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
    missing = httpx.get(f"{server.url}/api/videos/nope/thumbnail.jpg", headers=ALICE)
    assert missing.status_code == 404
