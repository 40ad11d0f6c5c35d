"""A clip's ladder reuses its source's stored segments (ADR 0067, issue 21 section 3): the
whole source segments inside the clip are copied, not encoded, on every rung (the same
samples, their decode time moved to the clip's timeline), only the two edges are encoded,
and the mix plays through with ffmpeg's HLS client, seamless and frame-accurate."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.download_checks import produced
from tests.e2e.frame_checks import SOURCE_FPS, assert_frame_accurate, fetch_stream, frames
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_state
from tests.server import ServerProcess
from vidhost.media import cmaf
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

ALICE = auth("alice")
DURATION = 20.0
START, END = 2.5, 17.3  # source frames 25 .. 172 at 10 fps
FIRST, LAST = 25, 173
# The source's segments (1, 1, 2, then 4 s): 0 1 2 4 8 12 16 20 s. Inside the clip: the
# source's segments 3, 4, 5 ([4, 16) s) are the clip's 1, 2, 3; segments 0 ([2.5, 4) s) and
# 4 ([16, 17.3) s) are the edges.
COPIED = {1: 3, 2: 4, 3: 5}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("clip-reuse")
    server = ServerProcess(
        data,
        env={**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240, 360]", "VIDHOST_SEGMENT_SECONDS": "4"},
    ).start()  # the default segments: 1, 1, 2, then 4 s
    source = make_clip(
        data / "source.mp4",
        duration=DURATION,
        width=640,
        height=360,
        fps=SOURCE_FPS,
        extra_args=["-vf", "boxblur=2"],
    )
    try:
        video_id = upload(server.url, source, ALICE)
        status = wait_for_state(server.url, video_id, ALICE, {"ready"}, details=True)
        yield {"server": server, "url": server.url, "id": video_id, "source": source, **status}
    finally:
        server.stop()


def rungs(master_url: str) -> dict[str, str]:
    """Each video rung's media playlist URL, by its height."""
    text = httpx.get(master_url, timeout=30).text
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF"):
            height = line.split("RESOLUTION=")[1].split(",")[0].split("x")[1]
            out[height] = urljoin(master_url, lines[i + 1])
    return out


def media(playlist_url: str) -> tuple[bytes, list[bytes]]:
    """The init segment and every media segment of a CMAF media playlist (a request for a
    segment not stored yet waits for it)."""
    text = httpx.get(playlist_url, timeout=30).text
    init = text.split('#EXT-X-MAP:URI="')[1].split('"')[0]
    names = [line for line in text.splitlines() if line and not line.startswith("#")]
    get = lambda name: httpx.get(urljoin(playlist_url, name), timeout=120)  # noqa: E731
    responses = [get(init), *(get(n) for n in names)]
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    return responses[0].content, [r.content for r in responses[1:]]


def boxes_of(segment: bytes, kind: bytes) -> list[bytes]:
    fragment = cmaf.fragment(segment)
    return [fragment[b.start : b.end] for b in cmaf.boxes(fragment) if b.kind == kind]


def test_the_inner_segments_are_the_sources_bytes_and_the_ladder_plays_through(
    site, tmp_path: Path
):
    source_rungs = rungs(site["playbackUrl"])
    assert set(source_rungs) == {"240", "360"}
    source = {h: media(url) for h, url in source_rungs.items()}  # the whole ladder stored

    r = httpx.post(
        f"{site['url']}/api/videos/{site['id']}/clips",
        json={"start": START, "end": END},
        headers=ALICE,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    clip = wait_for_state(site["url"], r.json()["id"], ALICE, {"ready", "failed"}, details=True)
    assert clip["state"] == "ready", clip
    clip_rungs = rungs(clip["playbackUrl"])
    assert set(clip_rungs) == set(source_rungs)

    for height, url in clip_rungs.items():
        init, segments = media(url)
        source_init, source_segments = source[height]
        assert len(segments) == 5, (height, len(segments))
        # the clip's init (from its edge chunk's encode) decodes the source's samples alike
        assert cmaf.same_decoding(init, source_init)
        frame_ticks = cmaf.timescale(init) // SOURCE_FPS
        for mine, theirs in COPIED.items():
            # the same samples, byte for byte ...
            assert boxes_of(segments[mine], b"mdat") == boxes_of(source_segments[theirs], b"mdat")
            # ... placed on the clip's timeline: the decode time moved back by FIRST frames
            shift = cmaf.decode_time(source_segments[theirs]) - cmaf.decode_time(segments[mine])
            assert shift == FIRST * frame_ticks, (height, mine, shift)
        # the edges are the clip's own encode: other samples than any source segment's
        for edge in (0, 4):
            mdat = boxes_of(segments[edge], b"mdat")
            assert all(mdat != boxes_of(s, b"mdat") for s in source_segments), (height, edge)
        # the rung, played by ffmpeg's HLS client: no decoding error, every frame, in order
        played = subprocess.run(
            [ffmpeg_path(), "-v", "error", "-xerror", "-i", url, "-f", "null", "-"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert played.returncode == 0 and not played.stderr.strip(), played.stderr
        stream = fetch_stream(url, tmp_path / f"{height}.mp4")
        _, count = frames(stream)
        assert count == LAST - FIRST, (height, count)

    # the whole clip (video and audio) lasts what was asked, within a frame
    whole = tmp_path / "whole.mp4"
    out = subprocess.run(
        [
            ffmpeg_path(),
            "-v",
            "error",
            "-y",
            "-i",
            clip["playbackUrl"],
            "-map",
            "0:v:0",
            "-map",
            "0:a:0",
            "-c",
            "copy",
            str(whole),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    media_seconds = produced(whole)  # decoded without an error, by frames and by samples
    assert media_seconds.video_seconds is not None and media_seconds.audio_seconds is not None
    assert abs(media_seconds.video_seconds - (END - START)) <= 1 / SOURCE_FPS, media_seconds
    assert abs(media_seconds.audio_seconds - (END - START)) <= 1 / SOURCE_FPS, media_seconds
    assert abs(clip["duration"] - (END - START)) <= 1 / SOURCE_FPS, clip

    # the cut points are the source's frames (the top rung: the source's size)
    top = fetch_stream(clip_rungs["360"], tmp_path / "check.mp4")
    assert_frame_accurate(top, site["source"], FIRST, LAST)
