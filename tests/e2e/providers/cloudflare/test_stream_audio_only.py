"""Audio-only videos on Cloudflare Stream's API (ADR 0066), driven by the official
``cloudflare`` SDK and a real tus client: an audio file uploaded by form POST or by tus
becomes ``readyToStream``; its HLS is the audio alone; the audio download is its M4A, the
default MP4 is refused; thumbnails answer 404 ``no_video_stream``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus_client

from tests.clips import make_audio
from tests.e2e.download_checks import produced
from tests.e2e.providers.cloudflare.conftest import sdk, token, wait_ready
from tests.server import ServerProcess
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

DURATION = 12.0
AAC_FRAME = 1024 / 48_000


def _audio_seconds(url: str) -> float:
    """The samples ffmpeg's HLS client decodes from ``url`` (strict), in seconds."""
    out = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", url,
         "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and not out.stderr, out.stderr[-2000:]
    return len(out.stdout) / 2 / 48_000


def test_a_form_upload_of_audio_becomes_ready_to_stream(
    server: ServerProcess, tmp_path: Path
) -> None:
    cf = sdk(server)
    path = make_audio(tmp_path / "voice.opus", duration=DURATION)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.upload_url
    with path.open("rb") as fh:
        r = httpx.post(upload.upload_url, files={"file": (path.name, fh, "audio/ogg")}, timeout=60)
    assert r.status_code == 200, r.text
    video = wait_ready(cf, "alice", upload.uid)
    assert video.ready_to_stream is True, video
    assert video.duration == pytest.approx(DURATION, abs=0.05)
    assert video.input is not None and (video.input.width, video.input.height) == (-1, -1)
    assert video.playback is not None and video.playback.hls is not None
    master = httpx.get(video.playback.hls).text
    assert 'CODECS="mp4a.40.2"' in master and "RESOLUTION" not in master
    assert abs(_audio_seconds(video.playback.hls) - DURATION) <= AAC_FRAME
    assert video.thumbnail is not None
    thumb = httpx.get(video.thumbnail)
    assert thumb.status_code == 404 and "no_video_stream" in thumb.text, thumb.text

    # downloads: the default MP4 has no picture to carry; the audio one is the M4A
    headers = {"Authorization": f"Bearer {token('alice')}"}
    base = f"{server.url}/client/v4/accounts/alice/stream/{upload.uid}/downloads"
    refused = httpx.post(base, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["vidhost_code"] == "rendition_unavailable"
    created = httpx.post(f"{base}/audio", headers=headers)
    assert created.status_code == 200, created.text
    for _ in range(600):
        got = cf.stream.downloads.get(identifier=upload.uid, account_id="alice")
        if got is not None and got.audio is not None and got.audio.status != "inprogress":
            break
        subprocess.run(["sleep", "0.2"], check=True)
    assert got is not None and got.audio is not None and got.audio.status == "ready", got
    m4a = tmp_path / "audio.m4a"
    m4a.write_bytes(httpx.get(got.audio.url, timeout=60).content)
    media = produced(m4a)
    assert media.video_seconds is None and media.audio_seconds is not None
    assert abs(media.audio_seconds - DURATION) <= AAC_FRAME


def test_tus_upload_of_an_mp3_becomes_ready_to_stream(
    server: ServerProcess, tmp_path: Path
) -> None:
    path = make_audio(tmp_path / "song.mp3", duration=DURATION)
    endpoint = f"{server.url}/client/v4/accounts/alice/stream"
    tus = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {token('alice')}"})
    uploader = tus.uploader(str(path), chunk_size=64 * 1024, metadata={"name": "song.mp3"})
    uploader.upload()
    assert uploader.url is not None
    head = httpx.head(uploader.url, headers={"Tus-Resumable": "1.0.0"})
    uid = head.headers["vidhost-video-id"]
    video = wait_ready(sdk(server), "alice", uid)
    assert video.ready_to_stream is True, video
    assert video.playback is not None and video.playback.hls is not None
    assert abs(_audio_seconds(video.playback.hls) - DURATION) <= AAC_FRAME
