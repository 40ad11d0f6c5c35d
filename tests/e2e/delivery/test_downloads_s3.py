"""Downloads (ADR 0065) on S3 storage (SeaweedFS): proxied by vidhost in proxy mode, a
pre-signed redirect in redirect mode with the file name signed into it (S3's
``response-content-disposition``). Either way: the file name, Range 206, and an MP4 that
decodes to the video's duration."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.direct_helpers import auth, start_server, wait_state
from tests.e2e.download_checks import produced
from tests.e2e.helpers import set_visibility
from tests.s3 import SeaweedS3

pytestmark = pytest.mark.e2e

DURATION = 6.0
FRAME = 1 / 25
ALICE = auth()


def _ready_download(base: str, video_id: str) -> dict[str, Any]:
    r = httpx.post(
        f"{base}/api/videos/{video_id}/downloads", json={"rendition": "highest"}, headers=ALICE
    )
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        (item,) = httpx.get(f"{base}/api/videos/{video_id}/downloads", headers=ALICE).json()
        if item["status"] != "preparing":
            assert item["status"] == "ready", item
            return dict(item)
        time.sleep(0.3)
    raise AssertionError("highest.mp4 still preparing")


@pytest.mark.parametrize("mode", ["proxy", "redirect"])
def test_an_mp4_download_on_s3_keeps_its_name_answers_ranges_and_decodes(
    seaweed: SeaweedS3, tmp_path: Path, mode: str
) -> None:
    server = start_server(
        tmp_path / "server", "s3", seaweed, VIDHOST_S3_STREAM_MODE=mode,
        VIDHOST_LADDER_HEIGHTS="[240]",
    )  # fmt: skip
    try:
        clip = make_clip(tmp_path / "trip.mp4", duration=DURATION, width=320, height=240)
        with clip.open("rb") as fh:
            r = httpx.post(
                f"{server.url}/upload",
                files={"file": ("trip.mp4", fh, "video/mp4")},
                headers=ALICE,
                timeout=60,
            )
        assert r.status_code == 201, r.text
        video_id = r.json()["videoId"]
        wait_state(server, video_id, {"ready"})
        set_visibility(server.url, video_id, "private", ALICE)
        item = _ready_download(server.url, video_id)
        token = httpx.post(
            f"{server.url}/api/videos/{video_id}/playback-token", headers=ALICE
        ).json()["token"]
        url = f"{item['url']}?token={token}"

        first = httpx.get(url)
        if mode == "redirect":
            assert first.status_code == 302
            location = first.headers["location"]
            assert location.startswith(seaweed.endpoint) and "X-Amz-Signature=" in location
            assert first.headers["cache-control"] == "no-store"
        else:
            assert first.status_code == 200
        refused = httpx.get(item["url"])  # private: no token, no redirect either
        assert (refused.status_code, refused.json()["code"]) == (403, "playback_token_required")

        whole = httpx.get(url, follow_redirects=True, timeout=60)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/mp4"
        assert whole.headers["content-disposition"].startswith(
            'attachment; filename="trip-highest.mp4"'
        ), whole.headers
        assert len(whole.content) == item["bytes"]
        part = httpx.get(url, headers={"Range": "bytes=100-1099"}, follow_redirects=True)
        assert part.status_code == 206 and part.content == whole.content[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"

        path = tmp_path / "trip-highest.mp4"
        path.write_bytes(whole.content)
        media = produced(path)
        assert media.video_seconds is not None and abs(media.video_seconds - DURATION) <= FRAME
        assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
        assert media.height == 240
    finally:
        server.stop()
