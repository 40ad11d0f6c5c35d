"""CMAF segments (ADR 0063) that strict decoders accept, and DASH from the same segments.

A 24 s clip with a tone, segments of 1, 1, 2 then 4 s in 12 s chunks (chunks of 1, 1, 1, 3
and 2 segments, each encoded by its own ffmpeg): ffmpeg's own HLS client decodes every
rendition, the audio included, with ``-xerror`` and not one message at ``-v error`` (the
MPEG-TS segments failed "Continuity check failed" on every rendition longer than one
segment); ffmpeg's DASH
demuxer and Shaka Player in Chromium play the MPD; a video packaged as MPEG-TS before the
change keeps playing."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, playlist_uris, task, upload, wait_for_state
from tests.http_server import static_files
from tests.server import ServerProcess
from vidhost.media import cmaf
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[2] / "js"
ALICE = auth("alice")
DURATION = 24.0
LADDER = {
    "VIDHOST_LADDER_HEIGHTS": "[360, 240]",
    "VIDHOST_SEGMENT_SECONDS": "4",
    "VIDHOST_CHUNK_SECONDS": "12",
}


def _whole_ladder(base: str, video_id: str) -> dict[str, Any]:
    """The status once every rendition is stored (ready comes with the first chunk)."""
    status = wait_for_state(base, video_id, ALICE, {"ready", "failed"}, timeout=180)
    assert status["state"] == "ready", status
    for _ in range(600):
        if task(status, "transcode")["status"] == "completed":
            return status
        status = httpx.get(f"{base}/api/videos/{video_id}/status", headers=ALICE).json()
        threading.Event().wait(0.2)
    raise AssertionError(f"the ladder never completed: {status}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    data = tmp_path_factory.mktemp("cmaf")
    clip = make_clip(data / "clip.mp4", duration=DURATION, width=640, height=360)
    server = ServerProcess(data / "data", env={**AUTH_ENV, **LADDER}).start()
    try:
        video_id = upload(server.url, clip, ALICE)
        _whole_ladder(server.url, video_id)
        yield server.url, video_id, clip
    finally:
        server.stop()


def _strict(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """ffmpeg's own client, failing on the first error and printing every one."""
    return subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", url,
         *extra, "-f", "null", "-"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def _decoded_seconds(url: str, stream: str) -> float:
    out = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-i", url, "-map", stream, "-f", "null", "-"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    h, m, s = re.findall(r"time=(\d+):(\d+):([\d.]+)", out.stderr)[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_every_rendition_decodes_strictly_with_ffmpegs_hls_client(
    served: tuple[str, str, Path],
) -> None:
    base, video_id, _ = served
    master_url = f"{base}/stream/{video_id}/manifest"
    master = httpx.get(master_url).text
    assert "#EXT-X-VERSION:7" in master
    renditions = [*playlist_uris(master), "audio.m3u8"]
    assert len(renditions) == 3
    for uri in renditions:
        url = urljoin(master_url, uri)
        playlist = httpx.get(url).text
        assert '#EXT-X-MAP:URI="segment/' in playlist and ".m4s" in playlist
        assert len([line for line in playlist.splitlines() if line.endswith(".m4s")]) == 8
        result = _strict(url)
        assert result.returncode == 0 and result.stderr == "", (uri, result.stderr[-2000:])
    whole = _strict(master_url, "-map", "0")
    assert whole.returncode == 0 and whole.stderr == "", whole.stderr[-2000:]
    assert abs(_decoded_seconds(master_url, "0:v:0") - DURATION) <= 0.1
    assert abs(_decoded_seconds(urljoin(master_url, "audio.m3u8"), "0:a:0") - DURATION) <= 0.1


def test_the_dash_manifest_matches_the_segments_and_ffmpeg_plays_it(
    served: tuple[str, str, Path],
) -> None:
    base, video_id, _ = served
    mpd_url = f"{base}/stream/{video_id}/manifest.mpd"
    r = httpx.get(mpd_url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/dash+xml"
    mpd = r.text
    assert 'type="static"' in mpd and 'mediaPresentationDuration="PT24.000S"' in mpd
    assert 'Representation id="360p"' in mpd and 'Representation id="audio"' in mpd
    # The timeline is the tfdt the packager wrote, segment by segment (audio: AAC frames)
    timelines = re.findall(
        r'timescale="(\d+)".*?<SegmentTimeline>(.*?)</SegmentTimeline>', mpd, re.S
    )
    for (scale, timeline), rendition in zip(timelines, ("240p", "audio"), strict=True):
        starts: list[int] = []
        t = 0
        for attrs in re.findall(r"<S ([^/]*)/>", timeline):
            fields = dict(re.findall(r'(\w)="(\d+)"', attrs))
            t = int(fields.get("t", t))
            for _ in range(int(fields.get("r", 0)) + 1):
                starts.append(t)
                t += int(fields["d"])
        assert len(starts) == 8, timeline
        for n, start in enumerate(starts):
            seg = httpx.get(f"{base}/stream/{video_id}/segment/{rendition}_{n:05d}.m4s")
            assert seg.status_code == 200
            assert cmaf.decode_time(seg.content) == start, (rendition, n, scale)
        assert abs(t / int(scale) - DURATION) < 0.05
    result = _strict(mpd_url, "-map", "0")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    assert abs(_decoded_seconds(mpd_url, "0:v:0") - DURATION) <= 0.1


def test_shaka_player_in_chromium_plays_the_dash_manifest_to_the_end(
    served: tuple[str, str, Path],
) -> None:
    base, video_id, _ = served
    with static_files(JS) as pages:
        page = f"{pages.base_url}/shaka.html"
        out = subprocess.run(
            ["node", str(JS / "shaka_play.mjs"), page, f"{base}/stream/{video_id}/manifest.mpd"],
            capture_output=True, text=True, timeout=150, check=True,
        )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result
    assert abs(result["duration"] - DURATION) < 0.2, result
    assert result["currentTime"] >= result["duration"] - 0.3, result
    assert sorted(result["tracks"]) == ["426x240:mp4a.40.2", "640x360:mp4a.40.2"], result


def test_a_video_packaged_as_mpeg_ts_before_keeps_playing(tmp_path: Path) -> None:
    """ADR 0063: videos keep the packaging they were planned with; both kinds are served."""
    clip = make_clip(tmp_path / "clip.mp4", duration=10, width=320, height=180)
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[180]"}
    old = ServerProcess(tmp_path / "data", env={**env, "VIDHOST_SEGMENT_FORMAT": "ts"}).start()
    try:
        video_id = upload(old.url, clip, ALICE)
        _whole_ladder(old.url, video_id)
    finally:
        old.stop()
    server = ServerProcess(tmp_path / "data", env=env).start()  # today's default: CMAF
    try:
        master_url = f"{server.url}/stream/{video_id}/manifest"
        playlist = httpx.get(urljoin(master_url, "180p.m3u8")).text
        assert "#EXT-X-MAP" not in playlist and "segment/180p_00000.ts" in playlist
        seg = httpx.get(f"{server.url}/stream/{video_id}/segment/180p_00000.ts")
        assert seg.status_code == 200 and seg.headers["content-type"] == "video/MP2T"
        assert abs(_decoded_seconds(master_url, "0:v:0") - 10) <= 0.1
        assert httpx.get(f"{server.url}/stream/{video_id}/manifest.mpd").status_code == 404
        fresh = upload(server.url, clip, ALICE)
        _whole_ladder(server.url, fresh)
        text = httpx.get(f"{server.url}/stream/{fresh}/180p.m3u8").text
        assert "segment/180p_init.mp4" in text and "180p_00000.m4s" in text
    finally:
        server.stop()
