"""A real HLS player (hls.js in headless Chromium) plays a vidhost stream from another origin:
a public video from its plain URL, a private one only from a tokenized URL."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, set_visibility, upload, wait_for_state
from tests.http_server import static_files
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[2] / "js"
ALICE = auth("alice")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One server with a public and a private video, and a page server on another origin."""
    data = tmp_path_factory.mktemp("browser")
    api = ServerProcess(data, env=AUTH_ENV).start()
    # The player page comes from a different origin than the stream (CORS exercised).
    page_server = static_files(JS)
    try:
        clip = make_clip(data / "clip.mp4", duration=3, width=640, height=360)
        public = upload(api.url, clip, ALICE)
        private = upload(api.url, clip, ALICE)
        set_visibility(api.url, private, "private", ALICE)
        statuses = {}
        for name, video_id in (("public", public), ("private", private)):
            statuses[name] = wait_for_state(api.url, video_id, ALICE, {"ready", "failed"})
            assert statuses[name]["state"] == "ready"
        yield {
            "api": api,
            "page": f"{page_server.base_url}/player.html",
            "status": statuses,
        }
    finally:
        page_server.close()
        api.stop()


def play(page: str, manifest_url: str) -> dict[str, Any]:
    out = subprocess.run(
        ["node", str(JS / "hls_play.mjs"), page, manifest_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def assert_played_to_the_end(result: dict[str, Any]) -> None:
    assert result["ok"], result
    assert abs(result["duration"] - 3.0) < 0.5, result
    assert result["currentTime"] >= result["duration"] - 0.2
    assert sorted(result["levels"])[0].startswith("426x240")
    assert result["fragmentsLoaded"] >= 3


def test_hls_js_in_chromium_plays_to_the_end(site) -> None:
    assert_played_to_the_end(play(site["page"], site["status"]["public"]["playbackUrl"]))


def test_hls_js_plays_a_private_video_from_a_tokenized_url_only(site) -> None:
    status = site["status"]["private"]
    refused = play(site["page"], status["playbackUrl"])
    assert not refused["ok"] and refused["fragmentsLoaded"] == 0, refused
    assert any("manifestLoadError" in e for e in refused["errors"]), refused

    r = httpx.post(
        f"{site['api'].url}/api/videos/{status['videoId']}/playback-token", headers=ALICE
    )
    assert r.status_code == 200, r.text
    assert_played_to_the_end(play(site["page"], r.json()["playbackUrl"]))
