"""Mux static renditions (ADR 0065) through mux-python and mux-node, only the host changed:
``mp4_support`` (seed 002's ``standard``), ``static_renditions`` at creation, the
static-renditions and mp4-support methods, the asset's ``static_renditions`` object, the
files at ``/{PLAYBACK_ID}/{name}`` (signed ids too) and the webhooks."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.download_checks import produced
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.ingest.conftest import run_node
from tests.e2e.mux_helpers import MuxReceiver, access_token, sdk, wait_asset, wait_upload
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[3] / "js"
DURATION = 20.0
FRAME = 1 / 25


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-static")
    env = {
        **AUTH_ENV,
        "VIDHOST_LADDER_HEIGHTS": "[240, 144]",
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    server = ServerProcess(data, env=env).start()
    clip = make_clip(data / "clip.mp4", duration=DURATION, width=320, height=240)
    receiver = MuxReceiver()
    secret = receiver.subscribe(server.url)
    try:
        yield {
            "server": server,
            "url": server.url,
            "clip": clip,
            "alice": access_token(server, "alice"),
            "receiver": receiver,
            "webhook_secret": secret,
        }
    finally:
        receiver.close()
        server.stop()


def _asset(site: dict[str, Any], settings: mux_python.CreateAssetRequest) -> Any:
    client = sdk(site["url"], site["alice"])
    uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(cors_origin="*", new_asset_settings=settings)
    ).data
    with open(site["clip"], "rb") as fh:
        assert httpx.put(created.url, content=fh.read(), timeout=60).status_code == 200
    upload = wait_upload(uploads, created.id)
    asset = wait_asset(assets, upload.asset_id)
    assert asset.status == "ready", asset
    return asset


def wait_statics(assets: mux_python.AssetsApi, asset_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    asset = None
    while time.monotonic() < deadline:
        asset = assets.get_asset(asset_id).data
        if asset.static_renditions is not None and asset.static_renditions.status != "preparing":
            return asset
        time.sleep(0.3)
    raise AssertionError(f"static renditions of {asset_id} still preparing: {asset}")


def fetch(url: str, dest: Path) -> httpx.Response:
    with httpx.stream("GET", url, timeout=60) as r, dest.open("wb") as out:
        for block in r.iter_bytes():
            out.write(block)
    return r


@pytest.fixture(scope="module")
def standard(site: dict[str, Any]) -> Any:
    """seed 002's settings (``mp4_support: standard``) plus an M4A the new way."""
    settings = mux_python.CreateAssetRequest(
        playback_policy=["public"],
        mp4_support="standard",
        static_renditions=[mux_python.CreateStaticRenditionRequest(resolution="audio-only")],
    )
    asset = _asset(site, settings)
    return wait_statics(mux_python.AssetsApi(sdk(site["url"], site["alice"])), asset.id)


def test_mp4_support_standard_gives_the_files_the_ladder_allows(site, standard, tmp_path):
    statics = standard.static_renditions
    assert statics.status == "ready"
    files = {f.name: f for f in statics.files}
    # a 240p ladder (240, 144): high is the top rung, medium the next; no rung for low
    assert set(files) == {"high.mp4", "medium.mp4", "audio.m4a"}, files
    assert (files["high.mp4"].height, files["medium.mp4"].height) == (240, 144)
    assert files["high.mp4"].width == 320 and files["high.mp4"].ext == "mp4"
    assert files["audio.m4a"].ext == "m4a" and files["audio.m4a"].resolution == "audio-only"
    assert all(f.status == "ready" and int(f.filesize) > 0 for f in files.values())
    assert standard.mp4_support == "standard"
    pid = standard.playback_ids[0].id
    for name, item in files.items():
        path = tmp_path / name
        r = fetch(f"{site['url']}/{pid}/{name}", path)
        assert r.status_code == 200 and path.stat().st_size == int(item.filesize)
        assert r.headers["content-disposition"].startswith(f'inline; filename="{name}"')
        media = produced(path)
        assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
        if name.endswith(".mp4"):
            assert media.video_seconds is not None
            assert abs(media.video_seconds - DURATION) <= FRAME, media
            assert media.height == item.height
        else:
            assert media.video_seconds is None
    ranged = httpx.get(f"{site['url']}/{pid}/high.mp4", headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    attach = httpx.head(f"{site['url']}/{pid}/high.mp4?download=my-video.mp4")
    assert attach.headers["content-disposition"].startswith('attachment; filename="my-video.mp4"')
    missing = httpx.get(f"{site['url']}/{pid}/low.mp4")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"


def test_static_rendition_webhooks_pass_mux_node_verification(site, standard):
    receiver = site["receiver"]
    received = receiver.wait_for("video.asset.static_renditions.ready", standard.id)
    singles = [
        r.json()
        for r in receiver.requests
        if r.json()["type"] == "video.asset.static_rendition.ready"
        and r.json()["data"].get("asset_id") == standard.id
    ]
    assert {e["data"]["name"] for e in singles} == {"high.mp4", "medium.mp4", "audio.m4a"}
    path = Path(site["server"].data_dir) / "static-webhook.json"
    for request in (received, receiver.wait_for("video.asset.static_rendition.ready", standard.id)):
        path.write_text(json.dumps({"body": request.text, "headers": request.headers}))
        out = run_node(
            JS,
            "mux_webhook_unwrap.js",
            {"WEBHOOK_FILE": str(path), "MUX_WEBHOOK_SECRET": site["webhook_secret"]},
        )
        assert out["tamperedRefused"] is True and out["type"] == request.json()["type"]
    asset_data = json.loads(received.text)["data"]
    assert asset_data["static_renditions"]["status"] == "ready"


def test_static_rendition_methods_and_mp4_support_update(site, standard, tmp_path):
    client = sdk(site["url"], site["alice"])
    assets = mux_python.AssetsApi(client)
    highest = assets.create_asset_static_rendition(
        standard.id, mux_python.CreateStaticRenditionRequest(resolution="highest")
    ).data
    assert highest.name == "highest.mp4" and highest.status in ("preparing", "ready")
    too_high = assets.create_asset_static_rendition(
        standard.id, mux_python.CreateStaticRenditionRequest(resolution="1080p")
    ).data
    assert too_high.name == "1080p.mp4"
    asset = wait_statics(assets, standard.id)
    files = {f.name: f for f in asset.static_renditions.files}
    assert files["highest.mp4"].status == "ready" and files["1080p.mp4"].status == "skipped"
    pid = standard.playback_ids[0].id
    assert produced(_got(f"{site['url']}/{pid}/highest.mp4", tmp_path)).height == 240
    assets.delete_asset_static_rendition(standard.id, too_high.id)
    assets.delete_asset_static_rendition(standard.id, highest.id)
    names = {f.name for f in assets.get_asset(standard.id).data.static_renditions.files}
    assert "highest.mp4" not in names and "1080p.mp4" not in names
    # high.mp4 is the same rung's file: still served after highest.mp4 went
    assert httpx.head(f"{site['url']}/{pid}/high.mp4").status_code == 200
    assert httpx.get(f"{site['url']}/{pid}/highest.mp4").status_code == 404
    updated = assets.update_asset_mp4_support(
        standard.id, mux_python.UpdateAssetMP4SupportRequest(mp4_support="capped-1080p")
    ).data
    assert updated.mp4_support == "capped-1080p"
    asset = wait_statics(assets, standard.id)
    names = {f.name for f in asset.static_renditions.files}
    assert names == {"capped-1080p.mp4", "audio.m4a"}, names
    assert httpx.get(f"{site['url']}/{pid}/medium.mp4").status_code == 404
    assert produced(_got(f"{site['url']}/{pid}/capped-1080p.mp4", tmp_path)).height == 240


def _got(url: str, tmp_path: Path) -> Path:
    path = tmp_path / url.rsplit("/", 1)[-1].split("?")[0]
    r = fetch(url, path)
    assert r.status_code == 200
    return path


def test_signed_playback_ids_need_a_token_for_the_files(site, tmp_path):
    settings = mux_python.CreateAssetRequest(playback_policy=["signed"], mp4_support="audio-only")
    asset = _asset(site, settings)
    client = sdk(site["url"], site["alice"])
    asset = wait_statics(mux_python.AssetsApi(client), asset.id)
    assert [f.name for f in asset.static_renditions.files] == ["audio.m4a"]
    pid = asset.playback_ids[0].id
    key = mux_python.SigningKeysApi(client).create_signing_key().data
    pem = base64.b64decode(key.private_key)
    claims = {"sub": pid, "aud": "v", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, pem, "RS256", headers={"kid": key.id})
    refused = httpx.get(f"{site['url']}/{pid}/audio.m4a")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "playback_token_required"
    path = _got(f"{site['url']}/{pid}/audio.m4a?token={token}", tmp_path)
    media = produced(path)
    assert media.video_seconds is None and abs(media.audio_seconds - DURATION) <= FRAME


def test_bad_static_rendition_requests_get_mux_errors(site, standard):
    base, creds = site["url"], site["alice"]
    url = f"{base}/video/v1/assets/{standard.id}/static-renditions"
    r = httpx.post(url, json={"resolution": "4k"}, auth=creds)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_parameters", r.text
    r = httpx.post(
        f"{base}/video/v1/assets/nope/static-renditions", json={"resolution": "highest"}, auth=creds
    )
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
    r = httpx.delete(f"{url}/nope", auth=creds)
    assert r.status_code == 404
    r = httpx.put(
        f"{base}/video/v1/assets/{standard.id}/mp4-support", json={"mp4_support": "x"}, auth=creds
    )
    assert r.status_code == 400
    r = httpx.post(
        f"{base}/video/v1/uploads",
        json={"new_asset_settings": {"mp4_support": "huge"}},
        auth=creds,
    )
    assert r.status_code == 400


def test_seed_002_create_mux_upload_url_ends_with_a_high_mp4(site, tmp_path):
    token_id, secret = site["alice"]
    out = run_node(
        JS,
        "mux_seed_upload.js",
        {
            "MUX_BASE_URL": site["url"],
            "MUX_TOKEN_ID": token_id,
            "MUX_TOKEN_SECRET": secret,
            "NEXT_PUBLIC_APP_URL": "http://app.example",
            "UPLOAD_FILE": str(site["clip"]),
        },
    )
    assert out["putStatus"] == 200
    client = sdk(site["url"], site["alice"])
    upload = wait_upload(mux_python.DirectUploadsApi(client), out["videoId"])
    assets = mux_python.AssetsApi(client)
    assert wait_asset(assets, upload.asset_id).mp4_support == "standard"
    asset = wait_statics(assets, upload.asset_id)
    assert "high.mp4" in {f.name for f in asset.static_renditions.files}
    path = _got(f"{site['url']}/{asset.playback_ids[0].id}/high.mp4", tmp_path)
    media = produced(path)
    assert media.video_seconds is not None and abs(media.video_seconds - DURATION) <= FRAME
