"""Mux ``test: true`` (the first 10 s kept, deleted after a lifetime) and ``normalize_audio``
(EBU R128 loudness) take effect (issue 21, section 5; ADR 0094), through mux-python with only
the host changed. The lifetime is a setting (Mux: 24 h) so the deletion is seen here."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest
from mux_python.rest import ApiException

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.mux_helpers import access_token, decoded_seconds, sdk, wait_asset, wait_upload
from tests.server import ServerProcess
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

LIFETIME = 25.0
ENV = {
    **AUTH_ENV,
    "VIDHOST_LADDER_HEIGHTS": "[240]",
    "VIDHOST_MUX_TEST_ASSET_LIFETIME": str(LIFETIME),
    "VIDHOST_CLEANUP_INTERVAL": "1",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-test-assets")
    server = ServerProcess(data, env=ENV).start()
    try:
        yield {"url": server.url, "data": data, "alice": access_token(server, "alice")}
    finally:
        server.stop()


def upload_asset(site: dict[str, Any], clip: Path, **settings: Any) -> Any:
    client = sdk(site["url"], site["alice"])
    uploads = mux_python.DirectUploadsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(
            cors_origin="*",
            new_asset_settings=mux_python.CreateAssetRequest(
                playback_policy=["public"], **settings
            ),
        )
    ).data
    assert httpx.put(created.url, content=clip.read_bytes(), timeout=60).status_code == 200
    asset = wait_asset(mux_python.AssetsApi(client), wait_upload(uploads, created.id).asset_id)
    assert asset.status == "ready", asset
    return asset


def integrated_loudness(url: str) -> float:
    """The EBU R128 integrated loudness (LUFS) of the first audio stream, by ffmpeg's
    ``ebur128`` filter, decoding the whole input."""
    out = subprocess.run(
        [ffmpeg_path(), "-nostdin", "-nostats", "-i", url, "-map", "0:a:0", "-af", "ebur128",
         "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    summary = out.stderr.rsplit("Integrated loudness:", 1)[-1]
    found = re.search(r"I:\s*(-?[\d.]+) LUFS", summary)
    assert found, out.stderr[-2000:]
    return float(found.group(1))


def test_a_test_asset_keeps_its_first_10_s_and_is_deleted_after_its_lifetime(site):
    clip = make_clip(site["data"] / "long.mp4", duration=14, width=320, height=240)
    started = time.monotonic()
    asset = upload_asset(site, clip, test=True)
    assert asset.test is True
    assert abs(asset.duration - 10.0) <= 0.04  # one frame at 25 fps
    hls = f"{site['url']}/{asset.playback_ids[0].id}.m3u8"
    assert abs(decoded_seconds(hls) - 10.0) <= 0.1
    # A plain asset of the same source keeps all of it (the cap is the test flag's).
    plain = upload_asset(site, clip)
    assert plain.test is False and abs(plain.duration - 14.0) <= 0.04
    assets = mux_python.AssetsApi(sdk(site["url"], site["alice"]))
    while time.monotonic() - started < LIFETIME + 30:
        try:
            assets.get_asset(asset.id)
        except ApiException as gone:
            assert gone.status == 404
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the test asset was not deleted after its lifetime")
    assert time.monotonic() - started >= LIFETIME - 1  # not before its time
    assert httpx.get(hls).status_code == 404
    assert assets.get_asset(plain.id).data.status == "ready"  # the plain one stays


def test_normalize_audio_brings_the_loudness_to_ebu_r128(site):
    quiet = make_clip(
        site["data"] / "quiet.mp4",
        duration=6,
        width=160,
        height=120,
        extra_args=["-af", "volume=-25dB"],
    )
    before = integrated_loudness(str(quiet))
    assert before < -35  # a quiet source: far from the target
    normalized = upload_asset(site, quiet, normalize_audio=True)
    untouched = upload_asset(site, quiet)
    assert normalized.normalize_audio is True and untouched.normalize_audio is False
    after = integrated_loudness(f"{site['url']}/{normalized.playback_ids[0].id}.m3u8")
    kept = integrated_loudness(f"{site['url']}/{untouched.playback_ids[0].id}.m3u8")
    assert abs(after - (-23.0)) <= 1.0, (before, after)
    assert abs(kept - before) <= 1.0, (before, kept)
