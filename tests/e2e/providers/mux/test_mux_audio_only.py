"""Audio-only assets through mux-python, only the host changed (ADR 0066): a direct upload
and a URL input of an audio file become ready assets whose ``tracks`` list only audio, with
Mux's ``max_stored_resolution: "Audio only"`` / ``resolution_tier: "audio-only"``; every
``mp4_support`` value gives ``audio.m4a`` alone; the stream decodes; the image routes answer
404 ``no_video_stream``; the ``video.asset.ready`` webhook lists the audio track alone."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest

from tests.clips import make_audio
from tests.e2e.download_checks import produced
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.mux_helpers import MuxReceiver, access_token, sdk, wait_asset, wait_upload
from tests.http_server import static_files
from tests.server import ServerProcess
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

DURATION = 13.0
AAC_FRAME = 1024 / 48_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-audio")
    env = {
        **AUTH_ENV,
        "VIDHOST_SEGMENT_SECONDS": "4",
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    server = ServerProcess(data / "data", env=env).start()
    files_dir = data / "files"
    files_dir.mkdir()
    make_audio(files_dir / "tone.mp3", duration=DURATION)
    make_audio(files_dir / "tone.wav", duration=DURATION)
    files = static_files(files_dir)
    receiver = MuxReceiver()
    receiver.subscribe(server.url)
    try:
        yield {
            "url": server.url,
            "files_dir": files_dir,
            "files": files.base_url,
            "alice": access_token(server, "alice"),
            "receiver": receiver,
        }
    finally:
        files.close()
        receiver.close()
        server.stop()


def _assets(site: dict[str, Any]) -> mux_python.AssetsApi:
    return mux_python.AssetsApi(sdk(site["url"], site["alice"]))


def _wait_statics(assets: mux_python.AssetsApi, asset_id: str) -> Any:
    for _ in range(600):
        asset = assets.get_asset(asset_id).data
        if asset.static_renditions is not None and asset.static_renditions.status != "preparing":
            return asset
        subprocess.run(["sleep", "0.2"], check=True)
    raise AssertionError(f"static renditions of {asset_id} still preparing")


@pytest.fixture(scope="module")
def uploaded(site: dict[str, Any]) -> Any:
    """An MP3 through a direct upload, with seed 002's ``mp4_support: standard``."""
    client = sdk(site["url"], site["alice"])
    uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(
            cors_origin="*",
            new_asset_settings=mux_python.CreateAssetRequest(
                playback_policy=["public"], mp4_support="standard"
            ),
        )
    ).data
    body = (site["files_dir"] / "tone.mp3").read_bytes()
    assert httpx.put(created.url, content=body, timeout=60).status_code == 200
    upload = wait_upload(uploads, created.id)
    assert upload.status == "asset_created", upload
    asset = wait_asset(assets, upload.asset_id)
    assert asset.status == "ready", asset
    return _wait_statics(assets, asset.id)


def test_an_audio_upload_is_an_asset_with_only_an_audio_track(site, uploaded) -> None:
    asset = uploaded
    assert [t.type for t in asset.tracks] == ["audio"], asset.tracks
    assert asset.max_stored_resolution == "Audio only"
    assert asset.resolution_tier == "audio-only"
    assert asset.aspect_ratio is None and asset.max_stored_frame_rate is None
    assert abs(asset.duration - DURATION) < 0.05
    pid = asset.playback_ids[0].id
    master = httpx.get(f"{site['url']}/{pid}.m3u8")
    assert master.status_code == 200 and 'CODECS="mp4a.40.2"' in master.text
    assert "RESOLUTION" not in master.text
    out = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-xerror",
         "-i", f"{site['url']}/{pid}.m3u8", "-map", "0:a:0", "-ac", "1", "-ar", "48000",
         "-f", "s16le", "-"],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and not out.stderr, out.stderr[-2000:]
    assert abs(len(out.stdout) / 2 / 48_000 - DURATION) <= AAC_FRAME


def test_mp4_support_gives_audio_m4a_alone_and_it_decodes(site, uploaded, tmp_path) -> None:
    statics = uploaded.static_renditions
    assert statics.status == "ready", statics
    (item,) = statics.files
    assert item.name == "audio.m4a" and item.ext == "m4a" and item.status == "ready", item
    pid = uploaded.playback_ids[0].id
    r = httpx.get(f"{site['url']}/{pid}/audio.m4a", timeout=60)
    assert r.status_code == 200 and int(item.filesize) == len(r.content)
    path = tmp_path / "audio.m4a"
    path.write_bytes(r.content)
    media = produced(path)
    assert media.video_seconds is None and media.audio_seconds is not None
    assert abs(media.audio_seconds - DURATION) <= AAC_FRAME
    assert httpx.get(f"{site['url']}/{pid}/high.mp4").status_code == 404
    # PUT mp4-support: capped-1080p on an audio-only asset is audio.m4a too (as at Mux)
    assets = _assets(site)
    assets.update_asset_mp4_support(
        uploaded.id, mux_python.UpdateAssetMP4SupportRequest(mp4_support="capped-1080p")
    )
    names = {f.name for f in _wait_statics(assets, uploaded.id).static_renditions.files}
    assert names == {"audio.m4a"}, names
    assert httpx.head(f"{site['url']}/{pid}/audio.m4a").status_code == 200


def test_image_routes_answer_no_video_stream(site, uploaded) -> None:
    pid = uploaded.playback_ids[0].id
    for path in ("thumbnail.jpg", "thumbnail.png?time=2", "animated.gif", "storyboard.vtt"):
        r = httpx.get(f"{site['url']}/{pid}/{path}")
        assert r.status_code == 404, (path, r.text)
        assert "no_video_stream" in r.text, (path, r.text)


def test_the_ready_webhook_lists_only_the_audio_track(site, uploaded) -> None:
    event = site["receiver"].wait_for("video.asset.ready", uploaded.id).json()
    assert [t["type"] for t in event["data"]["tracks"]] == ["audio"], event["data"]
    assert event["data"]["max_stored_resolution"] == "Audio only"


def test_a_url_input_of_a_wav_becomes_an_audio_only_asset(site) -> None:
    assets = _assets(site)
    created = assets.create_asset(
        mux_python.CreateAssetRequest(
            input=[mux_python.InputSettings(url=f"{site['files']}/tone.wav")],
            playback_policy=["public"],
            mp4_support="audio-only",
        )
    ).data
    asset = wait_asset(assets, created.id)
    assert asset.status == "ready", asset
    assert [t.type for t in asset.tracks] == ["audio"]
    assert asset.ingest_type == "on_demand_url"
    asset = _wait_statics(assets, asset.id)
    assert [f.name for f in asset.static_renditions.files] == ["audio.m4a"]
    assert asset.static_renditions.files[0].status == "ready"


def test_a_file_with_neither_video_nor_audio_is_still_refused(site, tmp_path: Path) -> None:
    client = sdk(site["url"], site["alice"])
    uploads = mux_python.DirectUploadsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(cors_origin="*", new_asset_settings={})
    ).data
    assert httpx.put(created.url, content=b"not media at all " * 200).status_code == 200
    errored = wait_upload(uploads, created.id)
    assert errored.status == "errored" and errored.error.type == "not_a_video"
