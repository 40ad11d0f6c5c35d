"""Every way in through API node A, every way out through node B (issue 11), on the session's
scaled-out deployment (``tests/e2e/scaled_out.py``: PostgreSQL, Redis, SeaweedFS S3, two API
nodes, two workers, each with its own data dir). No sticky sessions: nothing a node keeps in
memory or on its disk may be needed by the other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import websockets

from tests.clips import make_clip
from tests.e2e.helpers import playlist_uris, wait_for_ladder, wait_for_state
from tests.e2e.ingest.conftest import token
from tests.e2e.scaled_out import Cluster
from tests.realtime import read_until_closed, ws_url
from tests.s3 import plain_put

pytestmark = pytest.mark.e2e

ALICE = {"Authorization": f"Bearer {token('alice')}"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_clip(tmp_path_factory.mktemp("surfaces") / "clip.mp4", duration=2)
    return Path(path).read_bytes()


def _multipart(base: str, clip: bytes) -> str:
    r = httpx.post(
        f"{base}/upload", files={"file": ("a.mp4", clip, "video/mp4")}, headers=ALICE, timeout=60
    )
    assert r.status_code == 201, r.text
    return str(r.json()["videoId"])


def _direct_init(base: str, clip: bytes) -> str:
    init = httpx.post(f"{base}/api/videos/init", json={}, headers=ALICE).json()
    assert plain_put(init["uploadUrl"], clip, init["headers"]).status_code == 200
    r = httpx.put(
        f"{base}/api/videos/{init['videoId']}/metadata", json={"title": "direct"}, headers=ALICE
    )
    assert r.status_code == 200, r.text
    return str(init["videoId"])


def _upload_url(base: str, clip: bytes) -> str:
    body = {"filename": "a.mp4", "fileSize": len(clip), "mimeType": "video/mp4"}
    data = httpx.post(f"{base}/api/videos/upload-url", json=body, headers=ALICE).json()
    assert plain_put(data["uploadUrl"], clip, data["headers"]).status_code == 200
    return str(data["videoId"])


def _tus(base: str, clip: bytes) -> str:
    r = httpx.post(
        f"{base}/api/v1/videos/tus",
        content=clip,
        headers={
            **ALICE,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(clip)),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["Upload-Offset"] == str(len(clip))
    status = httpx.head(r.headers["Location"], headers={**ALICE, "Tus-Resumable": "1.0.0"})
    return str(status.headers["Vidhost-Video-Id"])


def _mux(base: str, clip: bytes) -> str:
    body = {"new_asset_settings": {"playback_policy": ["public"]}, "cors_origin": "*"}
    upload = httpx.post(f"{base}/video/v1/uploads", json=body, headers=ALICE).json()["data"]
    assert httpx.put(upload["url"], content=clip, timeout=60).status_code == 200
    got = httpx.get(f"{base}/video/v1/uploads/{upload['id']}", headers=ALICE).json()["data"]
    assert got["status"] == "asset_created", got
    return str(got["asset_id"])


def _cloudflare(base: str, clip: bytes) -> str:
    r = httpx.post(
        f"{base}/client/v4/accounts/alice/stream/direct_upload",
        json={"maxDurationSeconds": 60},
        headers=ALICE,
    )
    result = r.json()["result"]
    form = httpx.post(result["uploadURL"], files={"file": ("a.mp4", clip, "video/mp4")})
    assert form.status_code == 200, form.text
    return str(result["uid"])


WAYS_IN: dict[str, Callable[[str, bytes], str]] = {
    "multipart": _multipart,
    "direct_init": _direct_init,
    "upload_url": _upload_url,
    "tus": _tus,
    "mux": _mux,
    "cloudflare": _cloudflare,
}


@pytest.mark.parametrize("way", list(WAYS_IN))
def test_every_way_in_through_a_plays_and_streams_status_through_b(
    way: str, scaled_out: Cluster, clip: bytes
) -> None:
    a, b = scaled_out.a.url, scaled_out.b.url
    video_id = WAYS_IN[way](a, clip)
    # The status socket on node B sees the video through to READY, whichever node took it in.

    async def watch() -> list[dict[str, object]]:
        url = ws_url(scaled_out.b, f"/video/{video_id}/status/stream")
        async with websockets.connect(url, additional_headers=ALICE) as ws:
            return await read_until_closed(ws, timeout=120)

    messages = asyncio.run(watch())
    assert messages and messages[-1]["state"] == "READY", messages
    status = wait_for_state(b, video_id, ALICE, {"ready", "failed"}, timeout=60)
    assert status["state"] == "ready", status
    # Streaming from node B: the master, a variant and its first segment.
    manifest = httpx.get(status["playbackUrl"].replace(a, b), headers=ALICE)
    assert manifest.status_code == 200, manifest.text
    base = manifest.url.copy_with(query=None)
    variant_url = base.join(playlist_uris(manifest.text)[0])
    variant = httpx.get(variant_url, headers=ALICE)
    assert variant.status_code == 200 and "#EXT-X-ENDLIST" in variant.text
    segment = httpx.get(variant_url.join(playlist_uris(variant.text)[0]), headers=ALICE)
    assert segment.status_code == 200 and segment.content[4:8] == b"ftyp"  # the CMAF init
    assert wait_for_ladder(b, video_id, ALICE)["state"] == "ready"
