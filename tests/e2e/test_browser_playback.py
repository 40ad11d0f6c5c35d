"""A real HLS player (hls.js in headless Chromium) plays a vidhost stream from another origin."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_state

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parent.parent / "js"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_hls_js_in_chromium_plays_to_the_end(server_factory, tmp_path: Path) -> None:
    api = server_factory(env=AUTH_ENV)
    alice = auth("alice")
    clip = make_clip(tmp_path / "clip.mp4", duration=3, width=640, height=360)
    video_id = upload(api.url, clip, alice)
    status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
    assert status["state"] == "ready"

    # The player page comes from a different origin than the stream (CORS exercised).
    handler = functools.partial(_Quiet, directory=str(JS))
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    try:
        page = f"http://127.0.0.1:{page_server.server_address[1]}/player.html"
        out = subprocess.run(
            ["node", str(JS / "hls_play.mjs"), page, status["playbackUrl"]],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    finally:
        page_server.shutdown()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result
    assert abs(result["duration"] - 3.0) < 0.5, result
    assert result["currentTime"] >= result["duration"] - 0.2
    assert sorted(result["levels"])[0].startswith("426x240")
    assert result["fragmentsLoaded"] >= 3
