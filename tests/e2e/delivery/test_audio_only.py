"""Audio-only videos (ADR 0066): an audio file (M4A, MP3, WAV, FLAC, Opus) uploaded like a
video becomes a ready video whose master playlist lists the audio rendition as its one
variant (CMAF, ``CODECS="mp4a.40.2"``, no ``RESOLUTION``), with a DASH manifest, a waveform
poster and an ``audio.m4a`` download; thumbnails, storyboards and previews answer 404
``no_video_stream``; visibility, tokens and deletion work as for any video."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import av
import httpx
import pytest
from tusclient import client as tus_client

from tests.clips import AUDIO_FORMATS, make_audio
from tests.e2e.download_checks import produced
from tests.e2e.helpers import (
    AUTH_ENV,
    auth,
    playlist_uris,
    set_visibility,
    upload,
    wait_for_ladder,
    wait_for_state,
)
from tests.http_server import static_files
from tests.server import ServerProcess
from tests.webhook_receiver import Receiver
from vidhost.media import cmaf
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[2] / "js"
ALICE, BOB = auth("alice"), auth("bob")
AAC_FRAME = 1024 / 48_000
DURATIONS = {".m4a": 14.3, ".mp3": 16.0, ".wav": 12.5, ".flac": 17.2, ".opus": 19.0}
"""Seconds of each format's tone: several 4 s segments, none a whole number of them."""
CONTENT_TYPES = {
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".opus": "audio/ogg",
}
ENV = {**AUTH_ENV, "VIDHOST_SEGMENT_SECONDS": "4", "VIDHOST_CHUNK_SECONDS": "8"}
WEBHOOK_SECRET = "audio-only-webhook-secret"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("audio-only")
    receiver = Receiver(WEBHOOK_SECRET, fail_first=False)
    env = {**ENV, "VIDHOST_WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": WEBHOOK_SECRET}
    server = ServerProcess(data / "data", env=env).start()
    try:
        ids: dict[str, str] = {}
        for ext, seconds in DURATIONS.items():
            path = make_audio(data / f"tone{ext}", duration=seconds)
            ids[ext] = upload(server.url, path, ALICE, content_type=CONTENT_TYPES[ext])
        statuses = {}
        for ext, video_id in ids.items():
            status = wait_for_state(server.url, video_id, ALICE, {"ready", "failed"}, timeout=120)
            assert status["state"] == "ready", (ext, status)
            statuses[ext] = wait_for_ladder(server.url, video_id, ALICE)
        yield {
            "server": server,
            "url": server.url,
            "ids": ids,
            "status": statuses,
            "receiver": receiver,
        }
    finally:
        server.stop()
        receiver.__exit__(None, None, None)


def _strict(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """ffmpeg's own client, failing on the first error and printing every one."""
    return subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", url,
         *extra, "-f", "null", "-"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def _decoded_audio(url: str) -> tuple[float, bool]:
    """(seconds of audio ffmpeg's own HLS or DASH client decodes from ``url``: its samples
    counted as 48 kHz mono PCM, whether it found a video stream)."""
    out = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-i", url, "-map", "0:a:0", "-ac", "1",
         "-ar", "48000", "-f", "s16le", "-"],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return len(out.stdout) / 2 / 48_000, b"Video:" in out.stderr


def test_every_format_becomes_a_ready_audio_only_video(site) -> None:
    for ext, video_id in site["ids"].items():
        r = httpx.get(f"{site['url']}/api/videos/{video_id}", headers=ALICE)
        body = r.json()
        assert body["state"] == "ready", (ext, body)
        assert body["videoCodec"] is None and body["audioCodec"], (ext, body)
        assert body["resolution"] is None and body["renditions"] == [], (ext, body)
        assert abs(body["duration"] - DURATIONS[ext]) < 0.05, (ext, body["duration"])
        assert body["progress"] == 100
        kinds = {t["type"]: t["status"] for t in body["tasks"]}
        assert kinds == {"transcode": "completed"}, (ext, kinds)  # no metadata, no frames


def test_the_ready_webhook_lists_the_audio_track_alone(site) -> None:
    receiver = site["receiver"]
    receiver.wait_for("video.asset.ready", count=len(site["ids"]))
    ready = {
        r.event["data"]["id"]: r.event["data"] for r in receiver.delivered("video.asset.ready")
    }
    for ext, video_id in site["ids"].items():
        data = ready[video_id]
        assert data["tracks"] == [
            {"type": "audio", "codec": "aac", "source_codec": data["tracks"][0]["source_codec"]}
        ], (ext, data)
        assert data["playback_url"].endswith(f"/stream/{video_id}/manifest")
        assert httpx.get(data["thumbnail_url"]).status_code == 200


def test_the_master_lists_the_audio_rendition_as_its_only_variant(site) -> None:
    for ext, video_id in site["ids"].items():
        master_url = f"{site['url']}/stream/{video_id}/manifest"
        master = httpx.get(master_url).text
        assert "#EXT-X-MEDIA" not in master and "RESOLUTION" not in master, master
        (inf,) = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
        assert 'CODECS="mp4a.40.2"' in inf, inf
        assert playlist_uris(master) == ["audio.m3u8"]
        playlist = httpx.get(urljoin(master_url, "audio.m3u8")).text
        assert '#EXT-X-MAP:URI="segment/audio_init.mp4"' in playlist
        segments = [line for line in playlist.splitlines() if line.endswith(".m4s")]
        assert len(segments) >= 3, playlist
        result = _strict(master_url, "-map", "0")
        assert result.returncode == 0 and result.stderr == "", (ext, result.stderr[-2000:])
        seconds, video = _decoded_audio(master_url)
        assert not video
        assert abs(seconds - DURATIONS[ext]) <= AAC_FRAME, (ext, seconds)


def _timeline(mpd: str) -> list[int]:
    """Each segment's start (samples) from the MPD's SegmentTimeline, then its end."""
    (timeline,) = re.findall(r"<SegmentTimeline>(.*?)</SegmentTimeline>", mpd, re.S)
    starts: list[int] = []
    t = 0
    for attrs in re.findall(r"<S ([^/]*)/>", timeline):
        fields = dict(re.findall(r'(\w)="(\d+)"', attrs))
        t = int(fields.get("t", t))
        for _ in range(int(fields.get("r", 0)) + 1):
            starts.append(t)
            t += int(fields["d"])
    return [*starts, t]


def test_the_dash_manifest_has_the_audio_alone_and_decodes(site) -> None:
    for ext, video_id in site["ids"].items():
        mpd_url = f"{site['url']}/stream/{video_id}/manifest.mpd"
        r = httpx.get(mpd_url)
        assert r.status_code == 200 and r.headers["content-type"] == "application/dash+xml"
        assert 'contentType="video"' not in r.text and 'contentType="audio"' in r.text
        # The timeline is the packager's tfdt, segment by segment; it ends one AAC frame
        # (the encoder's priming, cut by the init's edit list) past the duration.
        *starts, end = _timeline(r.text)
        for n, start in enumerate(starts):
            seg = httpx.get(f"{site['url']}/stream/{video_id}/segment/audio_{n:05d}.m4s")
            assert seg.status_code == 200 and cmaf.decode_time(seg.content) == start, (ext, n)
        assert abs(end / 48_000 - AAC_FRAME - DURATIONS[ext]) <= AAC_FRAME / 2, (ext, end)
        result = _strict(mpd_url, "-map", "0")
        assert result.returncode == 0 and result.stderr == "", (ext, result.stderr[-2000:])
        seconds, video = _decoded_audio(mpd_url)
        assert not video
        # ffmpeg's DASH client opens each segment with the init, so it applies the init's
        # edit list (the priming frame) to every segment, not once: one AAC frame less per
        # segment after the first (videos' audio alike; its HLS client reads the track as
        # one, above).
        expected = DURATIONS[ext] - (len(starts) - 1) * AAC_FRAME
        assert abs(seconds - expected) <= AAC_FRAME, (ext, seconds, expected)


def test_the_poster_is_a_waveform_jpeg(site) -> None:
    for ext, status in site["status"].items():
        r = httpx.get(status["thumbnailUrl"])
        assert r.status_code == 200, (ext, r.text)
        assert r.content[:3] == b"\xff\xd8\xff", ext  # JPEG SOI
        with av.open(status["thumbnailUrl"]) as image:
            frame = next(image.decode(video=0))
            assert (frame.width, frame.height) == (1280, 720)


def test_thumbnails_storyboards_and_previews_answer_no_video_stream(site) -> None:
    video_id = site["ids"][".mp3"]
    base = f"{site['url']}/api/videos/{video_id}"
    for path in (
        "thumbnail.jpg",
        "thumbnail.png?time=2",
        "storyboard.vtt",
        "storyboard.jpg",
        "preview.gif",
    ):
        r = httpx.get(f"{base}/{path}", headers=ALICE)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["code"] == "no_video_stream", (path, r.text)


def test_the_audio_download_is_the_m4a_and_video_downloads_are_refused(site, tmp_path) -> None:
    video_id = site["ids"][".flac"]
    r = httpx.post(
        f"{site['url']}/api/videos/{video_id}/downloads",
        json={"rendition": "highest"},
        headers=ALICE,
    )
    assert r.status_code == 400 and r.json()["code"] == "rendition_unavailable", r.text
    r = httpx.post(
        f"{site['url']}/api/videos/{video_id}/downloads", json={"rendition": "audio"}, headers=ALICE
    )
    assert r.status_code == 201 and r.json()["name"] == "audio.m4a", r.text
    status = wait_for_state(site["url"], video_id, ALICE, {"ready"}, details=True)
    for _ in range(300):
        (item,) = status["downloads"]
        if item["status"] != "preparing":
            break
        status = httpx.get(f"{site['url']}/api/videos/{video_id}", headers=ALICE).json()
        subprocess.run(["sleep", "0.2"], check=True)
    assert item["status"] == "ready", item
    path = tmp_path / "audio.m4a"
    got = httpx.get(item["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "audio/mp4"
    path.write_bytes(got.content)
    media = produced(path)
    assert media.video_seconds is None and media.audio_seconds is not None
    assert abs(media.audio_seconds - DURATIONS[".flac"]) <= AAC_FRAME, media


def test_a_private_audio_only_video_needs_a_token(site) -> None:
    video_id = site["ids"][".opus"]
    set_visibility(site["url"], video_id, "private", ALICE)
    master_url = f"{site['url']}/stream/{video_id}/manifest"
    refused = httpx.get(master_url)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "playback_token_required"
    assert httpx.get(master_url, headers=BOB).status_code == 403
    r = httpx.post(f"{site['url']}/api/videos/{video_id}/playback-token", headers=ALICE)
    assert r.status_code == 200, r.text
    tokenized = r.json()["playbackUrl"]
    result = _strict(tokenized, "-map", "0")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    set_visibility(site["url"], video_id, "public", ALICE)


def test_hls_js_in_chromium_plays_it_to_the_end(site) -> None:
    video_id = site["ids"][".m4a"]
    with static_files(JS) as pages:
        out = subprocess.run(
            ["node", str(JS / "hls_play.mjs"), f"{pages.base_url}/player.html",
             f"{site['url']}/stream/{video_id}/manifest"],
            capture_output=True, text=True, timeout=150, check=True,
        )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], result
    assert abs(result["duration"] - DURATIONS[".m4a"]) < 0.1, result
    assert result["currentTime"] >= result["duration"] - 0.2, result
    assert result["fragmentsLoaded"] >= 3, result
    assert len(result["levels"]) == 1, result


def test_deleting_an_audio_only_video_removes_its_files(site, tmp_path) -> None:
    path = make_audio(tmp_path / "gone.wav", duration=6.0)
    video_id = upload(site["url"], path, ALICE, content_type="audio/wav")
    assert wait_for_state(site["url"], video_id, ALICE, {"ready", "failed"})["state"] == "ready"
    r = httpx.delete(f"{site['url']}/api/videos/{video_id}", headers=ALICE)
    assert r.status_code in (200, 204), r.text
    assert httpx.get(f"{site['url']}/stream/{video_id}/manifest").status_code in (404, 410)
    stored = site["server"].data_dir / "storage" / "videos" / video_id
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def test_a_tus_upload_of_audio_becomes_an_audio_only_video(site, tmp_path) -> None:
    path = make_audio(tmp_path / "tus.flac", duration=9.0)
    tus = tus_client.TusClient(site["url"] + "/api/v1/videos/tus", headers=ALICE)
    uploader = tus.uploader(str(path), chunk_size=64 * 1024, metadata={"filename": "tus.flac"})
    uploader.upload()
    assert uploader.url is not None
    head = httpx.head(uploader.url, headers={**ALICE, "Tus-Resumable": "1.0.0"})
    video_id = head.headers["vidhost-video-id"]
    status = wait_for_state(site["url"], video_id, ALICE, {"ready", "failed"}, details=True)
    assert status["state"] == "ready" and status["videoCodec"] is None, status
    seconds, video = _decoded_audio(status["playbackUrl"])
    assert not video and abs(seconds - 9.0) <= AAC_FRAME


def test_a_file_with_neither_video_nor_audio_is_refused(site, tmp_path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"no media in here " * 500)
    with junk.open("rb") as fh:
        r = httpx.post(
            site["url"] + "/upload", files={"file": (junk.name, fh, "audio/mpeg")}, headers=ALICE
        )
    assert r.status_code == 400 and r.json()["code"] == "not_a_video", r.text


def test_the_formats_cover_the_issue() -> None:
    assert set(AUDIO_FORMATS) == set(DURATIONS)
