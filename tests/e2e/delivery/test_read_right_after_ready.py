"""Ready means playable for every player (ADR 0064): clients that read as fast as they can,
started the moment a video is reported ready, through every surface.

- Mux: every segment of every rendition of a several-chunk asset, asked for right after the
  asset is ready, is a 200 (the Mux route used to answer 404 until its chunk was encoded).
- ffmpeg's own HLS client (``ffmpeg -i URL -f null -``, nothing else) decodes the whole of
  a 1080p upload from vidhost's ``/stream/{id}/manifest``, Mux's ``/{PLAYBACK_ID}.m3u8``
  (public and signed) and Cloudflare's ``/{uid}/manifest/video.m3u8``, all four started the
  moment the asset is ready, with six CPU burners competing for the two cores.

One Mux asset is one vidhost video (docs/providers.md): its id is the video id and the uid
of the Cloudflare surface, and with a public playback id it is ``unlisted``, so all four
URLs reach the same video.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import imageio_ffmpeg
import jwt
import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, playlist_uris
from tests.e2e.mux_helpers import access_token, sdk, wait_upload
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

BURNERS = 6
"""CPU-burning processes competing with vidhost: three per core of a 2-core host."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("reads")
    env = {**AUTH_ENV, "VIDHOST_CHUNK_SECONDS": "4"}  # ladder 360p + 240p, 1 s segments
    server = ServerProcess(data, env=env).start()
    try:
        yield {"server": server, "url": server.url, "alice": access_token(server, "alice")}
    finally:
        server.stop()


def _ready_asset(site: dict[str, Any], clip: Path, policies: list[str]) -> Any:
    """A Mux direct upload of ``clip``, polled every 50 ms until the asset is ready."""
    client = sdk(site["url"], site["alice"])
    uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(
            cors_origin="*",
            new_asset_settings=mux_python.CreateAssetRequest(playback_policy=policies),
        )
    ).data
    with open(clip, "rb") as fh:
        put = httpx.put(created.url, content=fh.read(), timeout=120)
    assert put.status_code == 200, put.text
    upload = wait_upload(uploads, created.id)
    assert upload.status == "asset_created", upload
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        asset = assets.get_asset(upload.asset_id).data
        if asset.status != "preparing":
            assert asset.status == "ready", asset
            return asset
        time.sleep(0.05)
    raise AssertionError("the asset never became ready")


def test_every_segment_of_a_several_chunk_mux_asset_is_200_right_after_ready(
    site: dict[str, Any], tmp_path: Path
) -> None:
    duration = 32.0  # 4 s chunks: the first one segment, then 8 more
    clip = make_clip(tmp_path / "long.mp4", duration=duration, width=640, height=360)
    asset = _ready_asset(site, clip, ["public"])
    pid = asset.playback_ids[0].id
    master_url = f"{site['url']}/{pid}.m3u8"
    master = httpx.get(master_url)
    assert master.status_code == 200, master.text
    variants = [urljoin(master_url, uri) for uri in playlist_uris(master.text)]
    variants += [
        urljoin(master_url, uri) for uri in re.findall(r'URI="([^"]+)"', master.text)
    ]  # the audio rendition
    segments = []
    for variant in variants:
        r = httpx.get(variant)
        assert r.status_code == 200, (variant, r.text)
        segments += [urljoin(variant, uri) for uri in playlist_uris(r.text)]
    # 360p, 240p, audio: each its init segment and one media segment a second
    assert len(variants) == 3 and len(segments) == 3 * (duration + 1), segments

    def get(url: str) -> tuple[str, int, str]:
        r = httpx.get(url, timeout=90)
        return url, r.status_code, r.headers.get("content-type", "")

    with ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(get, segments))
    bad = [(url, status) for url, status, _ in answers if status != 200]
    assert not bad, bad
    assert {kind for _, _, kind in answers} == {"video/iso.segment", "video/mp4"}


def _burn() -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BURNERS)]


def _ffmpeg_read(url: str) -> tuple[int, float | None, float | None, str]:
    """``ffmpeg -i URL -f null -``: exit code, the input's duration, the last ``time=``."""
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", url, "-f", "null", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    err = out.stderr

    def seconds(text: str) -> float:
        h, m, s = text.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    declared = re.search(r"Duration: (\d+:\d+:\d+\.\d+)", err)
    times = re.findall(r"time=(\d+:\d+:\d+\.\d+)", err)
    return (
        out.returncode,
        seconds(declared.group(1)) if declared else None,
        seconds(times[-1]) if times else None,
        err[-3000:],
    )


def test_ffmpeg_decodes_the_whole_video_from_every_surface_right_after_ready_under_load(
    site: dict[str, Any], tmp_path: Path
) -> None:
    duration, fps = 20.0, 25
    clip = make_clip(tmp_path / "hd.mp4", duration=duration, width=1920, height=1080, fps=fps)
    client = sdk(site["url"], site["alice"])
    key = mux_python.SigningKeysApi(client).create_signing_key().data
    pem = base64.b64decode(key.private_key)
    burners: list[subprocess.Popen[bytes]] = []
    try:
        asset = _ready_asset(site, clip, ["public", "signed"])
        burners = _burn()  # from the moment the asset is ready
        ready_at = time.monotonic()
        pids = {p.policy: p.id for p in asset.playback_ids}
        token = jwt.encode(
            {"sub": pids["signed"], "aud": "v", "exp": int(time.time()) + 3600},
            pem,
            "RS256",
            headers={"kid": key.id},
        )
        urls = {
            "native": f"{site['url']}/stream/{asset.id}/manifest",
            "mux public": f"{site['url']}/{pids['public']}.m3u8",
            "mux signed": f"{site['url']}/{pids['signed']}.m3u8?token={token}",
            "cloudflare": f"{site['url']}/{asset.id}/manifest/video.m3u8",
        }
        with ThreadPoolExecutor(len(urls)) as pool:
            reads = dict(zip(urls, pool.map(_ffmpeg_read, urls.values()), strict=True))
        took = time.monotonic() - ready_at
    finally:
        for p in burners:
            p.kill()
        for p in burners:
            p.wait()
    print({name: r[:3] for name, r in reads.items()}, f"{took:.1f} s")
    frame = 1 / fps
    for name, (code, declared, decoded, err) in reads.items():
        assert code == 0, (name, err)
        assert declared is not None and abs(declared - duration) <= 2 * frame, (name, err)
        assert decoded is not None and abs(decoded - duration) <= 2 * frame, (name, err)


def _strict(url: str) -> tuple[int, str]:
    """ffmpeg's own client failing on the first error (``-xerror``), every error printed."""
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-v", "error", "-xerror", "-i", url,
         "-map", "0", "-f", "null", "-"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return out.returncode, out.stderr[-3000:]


def test_strict_decoders_accept_every_rendition_on_the_mux_and_cloudflare_urls(
    site: dict[str, Any], tmp_path: Path
) -> None:
    """ADR 0063: CMAF segments of a several-chunk video decode with ``-xerror`` and not one
    error message, every rendition and the audio, on Mux's and Cloudflare's URLs, and
    Cloudflare's ``playback.dash`` manifest through ffmpeg's DASH demuxer."""
    clip = make_clip(tmp_path / "c.mp4", duration=12, width=640, height=360)
    asset = _ready_asset(site, clip, ["public"])
    pid = asset.playback_ids[0].id
    master_url = f"{site['url']}/{pid}.m3u8"
    master = httpx.get(master_url).text
    uris = [*playlist_uris(master), *re.findall(r'URI="([^"]+)"', master)]
    cloudflare = f"{site['url']}/{asset.id}/manifest/"
    urls = [urljoin(master_url, uri) for uri in uris]
    urls += [cloudflare + uri.rsplit("/", 1)[-1] for uri in uris]
    urls += [master_url, cloudflare + "video.m3u8", cloudflare + "video.mpd"]
    assert len(urls) == 9
    for url in urls:  # held until stored where the ladder is still encoding
        code, err = _strict(url)
        assert code == 0 and err == "", (url, err)
    view = httpx.get(
        f"{site['url']}/client/v4/accounts/alice/stream/{asset.id}",
        headers={"Authorization": f"Bearer {issue_token(SECRET, 'alice')}"},
    )
    assert view.json()["result"]["playback"]["dash"] == cloudflare + "video.mpd", view.text
