"""Seed 002 ``POST /api/posts``: a post embeds one of its author's ready videos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_state

pytestmark = pytest.mark.e2e


def test_posts_embed_only_the_authors_ready_video(server_factory, tmp_path: Path) -> None:
    # No embedded worker: the video stays "processing" (seed 002 words) until we start one.
    api = server_factory(env={**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false"})
    alice, bob = auth("alice"), auth("bob")
    url = api.url + "/api/posts"
    video_id = upload(api.url, make_clip(tmp_path / "c.mp4", duration=1), alice)

    r = httpx.post(url, json={"content": "hi", "videoId": video_id})
    assert (r.status_code, r.json()["error"]) == (401, "Unauthorized")
    r = httpx.post(url, json={"content": "look", "videoId": video_id}, headers=alice)
    assert (r.status_code, r.json()["error"]) == (400, "Video is still processing")
    r = httpx.post(url, json={"content": "   "}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "empty_post")

    worker = subprocess.Popen(
        [sys.executable, "-m", "vidhost", "worker"],
        env={
            **os.environ,
            **AUTH_ENV,
            "VIDHOST_DATA_DIR": str(api.data_dir),
            "VIDHOST_LADDER_HEIGHTS": "[240]",
            "VIDHOST_X264_PRESET": "ultrafast",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert status["state"] == "ready"

    r = httpx.post(url, json={"content": "mine", "videoId": video_id}, headers=bob)
    assert (r.status_code, r.json()["error"]) == (404, "Video not found")
    r = httpx.post(url, json={"content": "x", "videoId": "nope"}, headers=alice)
    assert (r.status_code, r.json()["error"]) == (404, "Video not found")

    r = httpx.post(
        url,
        json={"content": "my clip", "videoId": video_id, "communityId": "c1", "type": "text"},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    post = r.json()
    assert post["type"] == "video"
    assert post["content"] == "my clip"
    assert post["author"]["id"] == "alice"
    assert post["media"] == {
        "type": "video",
        "videoId": video_id,
        "url": status["playbackUrl"],
        "thumbnail": status["thumbnailUrl"],
        "duration": status["duration"],
    }
    assert post["community"] == {"id": "c1", "name": None}
    assert (post["likes"], post["comments"], post["isLiked"], post["isSaved"]) == (
        0,
        0,
        False,
        False,
    )
    assert post["timestamp"].endswith("Z")
    assert httpx.get(post["media"]["url"]).status_code == 200

    text_post = httpx.post(url, json={"content": "just words"}, headers=alice).json()
    assert (text_post["type"], text_post["media"]) == ("text", None)

    assert httpx.get(f"{url}/{post['id']}", headers=alice).json() == post
    listing = httpx.get(url, headers=alice).json()
    assert listing["total"] == 2
    assert {p["id"] for p in listing["posts"]} == {post["id"], text_post["id"]}
    assert httpx.get(url, headers=bob).json()["total"] == 0
