"""Measured bit rates and VMAF of every rung (issue 23, ADR 0045), on two contrasting clips.

A real ``vidhost serve`` with its worker processes a static slide (``smptehdbars``) and a
complex clip (``testsrc2`` under heavy temporal noise), 854x480 with a tone, into a
360p/240p ladder of 2 s segments. Once each ladder is stored:
- the master playlist's ``BANDWIDTH``/``AVERAGE-BANDWIDTH`` are what the test measures from
  the segments it downloads through the delivery path (RFC 8216 4.3.4.2: the peak segment
  bit rate and the average, video plus the audio group), and ``GET /api/videos/{id}``
  reports the same figures;
- the background ``quality_measurement`` task gives every rung a VMAF (mean, p5);
- the Mux asset's video track reports the top rendition's size, Cloudflare's ``input`` the
  source's.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import mux_python
import pytest
from cloudflare import Cloudflare

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, auth, wait_for_ladder
from tests.e2e.mux_helpers import access_token, sdk
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

OWNER = "alice"
WIDTH, HEIGHT = 854, 480
ENV = {
    **AUTH_ENV,
    "VIDHOST_LADDER_HEIGHTS": "[360, 240]",
    "VIDHOST_SEGMENT_SECONDS": "2",
    "VIDHOST_X264_PRESET": "veryfast",
}
CLIPS = {
    "slide": {"source": "smptehdbars"},
    "complex": {"source": "testsrc2", "extra_args": ["-vf", "noise=alls=60:allf=t+u"]},
}
_INF = re.compile(r"^#EXTINF:([\d.]+),\s*\n(\S+)$", re.MULTILINE)
_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("quality")
    server = ServerProcess(data / "server", env=ENV).start()
    try:
        headers = auth(OWNER)
        ids = {}
        for name, how in CLIPS.items():
            clip = make_clip(
                data / f"{name}.mp4", duration=6, width=WIDTH, height=HEIGHT, fps=25, **how
            )
            with open(clip, "rb") as fh:  # a generous timeout: a loaded machine is slow
                r = httpx.post(
                    f"{server.url}/upload",
                    files={"file": (clip.name, fh, "video/mp4")},
                    headers=headers,
                    timeout=120,
                )
            assert r.status_code == 201, r.text
            ids[name] = r.json()["videoId"]
        videos = {name: _measured(server.url, vid, headers) for name, vid in ids.items()}
        yield {"server": server, "ids": ids, "videos": videos, "headers": headers}
    finally:
        server.stop()


def _measured(base: str, video_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The video's details once its ladder is stored and every rung has a VMAF."""
    status = wait_for_ladder(base, video_id, headers)
    assert status["state"] == "ready", status
    deadline = time.monotonic() + 180
    while True:
        body = httpx.get(f"{base}/api/videos/{video_id}", headers=headers, timeout=10).json()
        if all(r["vmaf"] is not None for r in body["renditions"]):
            return dict(body)
        assert time.monotonic() < deadline, body["renditions"]
        time.sleep(0.5)


def _rates(url: str) -> tuple[int, int]:
    """(average, peak) bits/s of a media playlist, from its segments' downloaded sizes and
    ``#EXTINF`` durations (init segments aside)."""
    text = httpx.get(url, timeout=10).text
    assert _MAP.search(text)  # CMAF: the init segment is not a media segment
    entries = [(float(d), urljoin(url, uri)) for d, uri in _INF.findall(text)]
    sizes = [len(httpx.get(uri, timeout=10).content) for _, uri in entries]
    seconds = [d for d, _ in entries]
    average = math.ceil(sum(sizes) * 8 / sum(seconds))
    peak = max(math.ceil(s * 8 / d) for s, d in zip(sizes, seconds, strict=True))
    return average, peak


def _variants(master: str) -> dict[str, dict[str, str]]:
    out = {}
    lines = master.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            out[lines[i + 1].removesuffix(".m3u8")] = attrs
    return out


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_master_bandwidths_are_the_stored_segments_measured_rates(
    site: dict[str, Any], name: str
) -> None:
    base, video = site["server"].url, site["videos"][name]
    manifest = video["playbackUrl"]
    master = httpx.get(manifest, timeout=10)
    variants = _variants(master.text)
    assert set(variants) == {"360p", "240p"}
    audio_avg, audio_peak = _rates(urljoin(manifest, "audio.m3u8"))
    for rendition in video["renditions"]:
        avg, peak = _rates(rendition["playlistUrl"])
        attrs = variants[rendition["name"]]
        assert attrs["AUDIO"] == '"audio"'  # the variant carries the audio group: its sum
        assert int(attrs["BANDWIDTH"]) == peak + audio_peak
        assert int(attrs["AVERAGE-BANDWIDTH"]) == avg + audio_avg
        assert rendition["measured"] is True
        assert rendition["peakBitrate"] == peak + audio_peak
        assert rendition["averageBitrate"] == avg + audio_avg
        assert rendition["codec"].startswith("avc1.")
        assert rendition["averageBitrate"] != rendition["bitrate"]  # not the planned figure
    # the rewritten master is served as any object: validators of the bytes now stored
    etag = master.headers["etag"]
    again = httpx.get(manifest, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    assert base


def test_every_rung_of_both_clips_reports_vmaf(site: dict[str, Any]) -> None:
    scores = {}
    for name, video in site["videos"].items():
        for r in video["renditions"]:
            vmaf = r["vmaf"]
            assert 0 <= vmaf["p5"] <= vmaf["mean"] <= 100, (name, r)
            scores[name, r["name"]] = vmaf["mean"]
    # the noisy clip costs the ladder far more bits than the bars and still scores lower
    slide, complex_ = site["videos"]["slide"], site["videos"]["complex"]
    top = {v["id"]: max(v["renditions"], key=lambda r: r["height"]) for v in (slide, complex_)}
    assert top[complex_["id"]]["averageBitrate"] > top[slide["id"]]["averageBitrate"]
    assert scores["slide", "360p"] > scores["complex", "360p"]
    assert scores["slide", "360p"] > 80


def test_quality_measurement_is_not_listed_as_a_task(site: dict[str, Any]) -> None:
    for video in site["videos"].values():
        assert "quality_measurement" not in {t["type"] for t in video["tasks"]}


def test_mux_tracks_and_cloudflare_input_agree_with_the_renditions(site: dict[str, Any]) -> None:
    server, vid = site["server"], site["ids"]["complex"]
    renditions = site["videos"]["complex"]["renditions"]
    top = max(renditions, key=lambda r: r["height"])
    assets = mux_python.AssetsApi(sdk(server.url, access_token(server, OWNER)))
    asset = assets.get_asset(vid).data
    track = next(t for t in asset.tracks if t.type == "video")
    assert (track.max_width, track.max_height) == (top["width"], top["height"]) == (640, 360)
    assert asset.max_stored_resolution == "SD"
    cf = Cloudflare(
        api_token=issue_token(SECRET, OWNER), base_url=f"{server.url}/client/v4", max_retries=0
    )
    video = cf.stream.get(identifier=vid, account_id=OWNER)
    assert video is not None and video.input is not None
    assert (video.input.width, video.input.height) == (WIDTH, HEIGHT)
    assert all(r["width"] <= WIDTH and r["height"] <= HEIGHT for r in renditions)
