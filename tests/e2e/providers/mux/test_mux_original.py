"""The original upload (ADR 0093) and the asset settings that take effect (issue 21, sections
2 and 5), driven by Mux's own clients with only the host changed: mux-python, @mux/mux-node
(tokens it signs, its auto-pagination, its webhook verification), plus the native
``GET /api/videos/{id}/original``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import imageio_ffmpeg
import mux_python
import pytest
from mux_python.rest import ApiException

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth
from tests.e2e.ingest.conftest import run_node
from tests.e2e.mux_helpers import MuxReceiver, access_token, sdk, wait_asset, wait_upload
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[3] / "js"
ENV = {
    **AUTH_ENV,
    "VIDHOST_LADDER_HEIGHTS": "[240]",
    "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-original")
    server = ServerProcess(data, env=ENV).start()
    clip = make_clip(data / "clip.mp4", duration=2, width=320, height=240)
    receiver = MuxReceiver()
    secret = receiver.subscribe(server.url)
    try:
        yield {
            "server": server,
            "url": server.url,
            "clip": clip,
            "alice": access_token(server, "alice"),
            "bob": access_token(server, "bob"),
            "receiver": receiver,
            "webhook_secret": secret,
        }
    finally:
        receiver.close()
        server.stop()


def uploaded_asset(site: dict[str, Any], **settings: Any) -> Any:
    """A direct upload made with mux-python (``settings``: its ``new_asset_settings``), one
    PUT, polled to ready."""
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
    put = httpx.put(created.url, content=Path(site["clip"]).read_bytes(), timeout=60)
    assert put.status_code == 200, put.text
    upload = wait_upload(uploads, created.id)
    asset = wait_asset(mux_python.AssetsApi(client), upload.asset_id)
    assert asset.status == "ready", asset
    return asset


def unwrap(site: dict[str, Any], received: Any) -> Any:
    """mux-node's ``webhooks.unwrap`` on a delivered webhook (signature checked)."""
    path = Path(site["server"].data_dir) / f"webhook-{time.monotonic_ns()}.json"
    path.write_text(json.dumps({"body": received.text, "headers": received.headers}))
    return run_node(
        JS,
        "mux_webhook_unwrap.js",
        {"WEBHOOK_FILE": str(path), "MUX_WEBHOOK_SECRET": site["webhook_secret"]},
    )


def test_master_access_at_upload_links_the_original_bytes(site):
    asset = uploaded_asset(site, master_access="temporary")
    assert asset.master_access == "temporary"
    assert asset.master.status == "ready" and asset.master.url
    original = Path(site["clip"]).read_bytes()
    got = httpx.get(asset.master.url, timeout=60)
    assert got.status_code == 200
    assert sha256(got.content) == sha256(original)
    assert got.headers["content-disposition"].startswith("attachment;")
    part = httpx.get(asset.master.url, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == original[10:100]
    # The link is signed: a later expiry (or another object) breaks it.
    scheme, netloc, path, query, _ = urlsplit(asset.master.url)
    q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    q["expires"] = str(int(q["expires"]) + 3600)
    forged = httpx.get(urlunsplit((scheme, netloc, path, urlencode(q), "")))
    assert forged.status_code == 403 and forged.json()["code"] == "invalid_signature"
    other = httpx.get(asset.master.url.replace("/source?", "/plan.json?"))
    assert other.status_code == 403
    # video.asset.master.ready, as mux-node verifies it, carries the link.
    event = unwrap(site, site["receiver"].wait_for("video.asset.master.ready", asset.id))
    assert event["type"] == "video.asset.master.ready" and event["tamperedRefused"] is True
    assert event["data"]["master"]["status"] == "ready"
    assert sha256(httpx.get(event["data"]["master"]["url"]).content) == sha256(original)


def test_put_master_access_grants_then_withdraws(site):
    asset = uploaded_asset(site)
    assert asset.master_access == "none" and asset.master is None
    assets = mux_python.AssetsApi(sdk(site["url"], site["alice"]))
    granted = assets.update_asset_master_access(
        asset.id, mux_python.UpdateAssetMasterAccessRequest(master_access="temporary")
    ).data
    assert granted.master_access == "temporary" and granted.master.status == "ready"
    got = httpx.get(granted.master.url)
    assert sha256(got.content) == sha256(Path(site["clip"]).read_bytes())
    site["receiver"].wait_for("video.asset.master.ready", asset.id)
    site["receiver"].wait_for("video.asset.updated", asset.id)
    withdrawn = assets.update_asset_master_access(
        asset.id, mux_python.UpdateAssetMasterAccessRequest(master_access="none")
    ).data
    assert withdrawn.master_access == "none" and withdrawn.master is None
    bad = httpx.put(
        f"{site['url']}/video/v1/assets/{asset.id}/master-access",
        json={"master_access": "forever"},
        auth=site["alice"],
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_parameters"
    assert "master_access" in bad.json()["error"]["messages"][0]
    bobs = httpx.put(
        f"{site['url']}/video/v1/assets/{asset.id}/master-access",
        json={"master_access": "temporary"},
        auth=site["bob"],
    )
    assert bobs.status_code == 404 and bobs.json()["error"]["type"] == "not_found"


def test_the_owner_downloads_the_original_natively(site):
    asset = uploaded_asset(site)
    r = httpx.get(f"{site['url']}/api/videos/{asset.id}/original", headers=auth("alice"))
    assert r.status_code == 200, r.text
    body = r.json()
    original = Path(site["clip"]).read_bytes()
    assert body["bytes"] == len(original) and body["expiresAt"]
    assert sha256(httpx.get(body["url"]).content) == sha256(original)
    other = httpx.get(f"{site['url']}/api/videos/{asset.id}/original", headers=auth("bob"))
    assert other.status_code == 403 and other.json()["code"] == "access_denied"
    anonymous = httpx.get(f"{site['url']}/api/videos/{asset.id}/original")
    assert anonymous.status_code == 401
    missing = httpx.get(f"{site['url']}/api/videos/nope/original", headers=auth("alice"))
    assert missing.status_code == 404 and missing.json()["code"] == "video_not_found"


def test_patch_asset_changes_passthrough_and_meta_and_notifies(site):
    asset = uploaded_asset(site, passthrough="before")
    assets = mux_python.AssetsApi(sdk(site["url"], site["alice"]))
    updated = assets.update_asset(
        asset.id,
        mux_python.UpdateAssetRequest(
            passthrough="after", meta=mux_python.AssetMetadata(title="Ep. 1", creator_id="c-7")
        ),
    ).data
    assert updated.passthrough == "after"
    assert updated.meta.title == "Ep. 1" and updated.meta.creator_id == "c-7"
    again = assets.get_asset(asset.id).data
    assert again.passthrough == "after" and again.meta.title == "Ep. 1"
    native = httpx.get(f"{site['url']}/api/videos/{asset.id}", headers=auth("alice")).json()
    assert native["title"] == native["displayTitle"] == "Ep. 1"  # what the web app shows
    event = unwrap(site, site["receiver"].wait_for("video.asset.updated", asset.id))
    assert event["data"]["passthrough"] == "after"
    too_long = httpx.patch(
        f"{site['url']}/video/v1/assets/{asset.id}",
        json={"meta": {"title": "x" * 513}},
        auth=site["alice"],
    )
    assert too_long.status_code == 400 and "title" in too_long.json()["error"]["messages"][0]


def test_cancelled_and_errored_uploads_send_their_webhooks(site):
    uploads = mux_python.DirectUploadsApi(sdk(site["url"], site["alice"]))
    created = uploads.create_direct_upload(mux_python.CreateUploadRequest(cors_origin="*")).data
    uploads.cancel_direct_upload(created.id)
    event = site["receiver"].wait_for("video.upload.cancelled", created.id)
    assert event.json()["data"]["status"] == "cancelled"
    assert unwrap(site, event)["type"] == "video.upload.cancelled"
    broken = uploads.create_direct_upload(mux_python.CreateUploadRequest(cors_origin="*")).data
    assert httpx.put(broken.url, content=b"not a video at all " * 64).status_code == 200
    errored = site["receiver"].wait_for("video.upload.errored", broken.id)
    data = errored.json()["data"]
    assert data["status"] == "errored" and data["error"]["type"] == "not_a_video"


def test_a_token_signed_by_mux_node_with_kid_in_its_payload_plays(site):
    client = sdk(site["url"], site["alice"])
    asset = uploaded_asset(site)
    signed = (
        mux_python.AssetsApi(client)
        .create_asset_playback_id(asset.id, mux_python.CreatePlaybackIDRequest(policy="signed"))
        .data
    )
    key = mux_python.SigningKeysApi(client).create_signing_key().data
    out = run_node(
        JS,
        "mux_sign_playback.js",
        {
            "MUX_BASE_URL": site["url"],
            "PLAYBACK_ID": signed.id,
            "MUX_SIGNING_KEY": key.id,
            "MUX_PRIVATE_KEY": key.private_key,
        },
    )
    assert out["claims"]["kid"] == key.id and "kid" not in out["header"]
    assert out["masterStatus"] == 200 and out["thumbnailStatus"] == 200
    assert httpx.get(f"{site['url']}/{signed.id}.m3u8").status_code == 403


def test_mux_node_auto_pagination_follows_next_cursor(site):
    for _ in range(3):
        uploaded_asset(site)
    listed = httpx.get(f"{site['url']}/video/v1/assets?limit=100", auth=site["alice"]).json()
    every = [a["id"] for a in listed["data"]]
    assert len(every) >= 3 and listed["next_cursor"] is None
    token_id, secret = site["alice"]
    out = run_node(
        JS,
        "mux_list_assets.js",
        {
            "MUX_BASE_URL": site["url"],
            "MUX_TOKEN_ID": token_id,
            "MUX_TOKEN_SECRET": secret,
            "PAGE_LIMIT": "2",
        },
    )
    assert out["hasNext"] is True and out["firstPage"] == every[:2]
    assert out["ids"] == every  # every asset once, in order, past page 1
    bad = httpx.get(f"{site['url']}/video/v1/assets?cursor=%%%", auth=site["alice"])
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_unknown_routes_answer_in_the_vendors_shapes(site):
    for method, path in [
        ("GET", "/video/v1/no-such-thing"),
        ("POST", "/video/v1/assets/abc/no-such-thing"),
        ("GET", "/system/v1/nope"),
    ]:
        r = httpx.request(method, site["url"] + path, auth=site["alice"])
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["type"] == "not_found" and r.json()["error"]["messages"]
    wrong_method = httpx.delete(f"{site['url']}/video/v1/uploads", auth=site["alice"])
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    cf = httpx.get(f"{site['url']}/client/v4/accounts/alice/stream/x/no-such-thing")
    assert cf.status_code == 404
    assert cf.json()["success"] is False and cf.json()["errors"][0]["vidhost_code"] == "not_found"
    native = httpx.get(f"{site['url']}/api/no-such-thing")
    assert native.status_code == 404 and native.json()["code"] == "not_found"


def test_settings_are_checked_before_anything_is_created(site):
    for settings, field in [
        ({"master_access": "forever"}, "master_access"),
        ({"max_resolution_tier": "8k"}, "max_resolution_tier"),
        ({"video_quality": "ultra"}, "video_quality"),
        ({"meta": {"title": "x" * 600}}, "title"),
        ({"normalize_audio": "loud"}, "normalize_audio"),
        ({"test": "sometimes"}, "test"),
    ]:
        r = httpx.post(
            f"{site['url']}/video/v1/uploads",
            json={"new_asset_settings": settings},
            auth=site["alice"],
        )
        assert r.status_code == 400, (settings, r.text)
        assert field in r.json()["error"]["messages"][0]
    before = httpx.get(f"{site['url']}/video/v1/uploads?limit=100", auth=site["alice"]).json()
    pulled = httpx.post(
        f"{site['url']}/video/v1/assets",
        json={"input": "https://example.com/a.mp4", "video_quality": "ultra"},
        auth=site["alice"],
    )
    assert pulled.status_code == 400 and "video_quality" in pulled.text
    after = httpx.get(f"{site['url']}/video/v1/uploads?limit=100", auth=site["alice"]).json()
    assert len(after["data"]) == len(before["data"])  # nothing was created
    # normalize_audio and test take effect (test_mux_test_and_loudness.py): accepted.
    ok = httpx.post(
        f"{site['url']}/video/v1/uploads",
        json={"new_asset_settings": {"normalize_audio": False, "test": False}},
        auth=site["alice"],
    )
    assert ok.status_code == 201, ok.text


def test_max_resolution_tier_caps_the_ladder(tmp_path):
    env = {**ENV, "VIDHOST_MAX_RESOLUTION": "1440p", "VIDHOST_LADDER_HEIGHTS": "[1080, 240]"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        clip = make_clip(tmp_path / "qhd.mp4", duration=2, width=2560, height=1440, fps=10)
        site = {"url": server.url, "clip": clip, "alice": access_token(server, "alice")}
        capped = uploaded_asset(site, max_resolution_tier="1080p")
        assert capped.max_resolution_tier == "1080p"
        assert capped.max_stored_resolution == "FHD" and capped.resolution_tier == "1080p"
        master = httpx.get(f"{server.url}/{capped.playback_ids[0].id}.m3u8").text
        assert "RESOLUTION=2560x1440" not in master and "RESOLUTION=426x240" in master
        free = uploaded_asset(site, max_resolution_tier="2160p")  # the server stops at 1440p
        assert free.resolution_tier == "1440p" and free.max_stored_resolution == "UHD"
        master = httpx.get(f"{server.url}/{free.playback_ids[0].id}.m3u8").text
        assert "RESOLUTION=2560x1440" in master
    finally:
        server.stop()


def test_a_2160p_source_gets_a_2160p_rung_only_when_its_tier_asks(tmp_path):
    """Issue 23: above 1080p up to the server's max_resolution; Mux's default tier is 1080p."""
    env = {**ENV, "VIDHOST_MAX_RESOLUTION": "2160", "VIDHOST_LADDER_HEIGHTS": "[1080, 240]"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        clip = make_clip(tmp_path / "uhd.mp4", duration=2, width=3840, height=2160, fps=10)
        site = {"url": server.url, "clip": clip, "alice": access_token(server, "alice")}
        default = uploaded_asset(site)
        assert default.max_resolution_tier == "1080p" and default.resolution_tier == "1080p"
        master = httpx.get(f"{server.url}/{default.playback_ids[0].id}.m3u8").text
        assert "RESOLUTION=1920x1080" in master and "RESOLUTION=2560x1440" not in master
        uhd = uploaded_asset(site, max_resolution_tier="2160p")
        assert uhd.resolution_tier == "2160p" and uhd.max_stored_resolution == "UHD"
        master = httpx.get(f"{server.url}/{uhd.playback_ids[0].id}.m3u8").text
        assert "RESOLUTION=3840x2160" in master and "RESOLUTION=2560x1440" in master
        top = next(
            line for line in master.splitlines() if line and not line.startswith("#")
        )  # the highest variant is listed first
        url = f"{server.url}/{uhd.playback_ids[0].id}.m3u8".rsplit("/", 1)[0] + "/" + top
        decoded = subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-hide_banner",
                "-i",
                url,
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert decoded.returncode == 0, decoded.stderr[-2000:]
        assert "3840x2160" in decoded.stderr
    finally:
        server.stop()


def test_the_link_expires_and_master_access_returns_to_none(tmp_path):
    server = ServerProcess(tmp_path / "data", env={**ENV, "VIDHOST_ORIGINAL_LINK_TTL": "4"})
    server.start()
    try:
        clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
        site = {"url": server.url, "clip": clip, "alice": access_token(server, "alice")}
        asset = uploaded_asset(site, master_access="temporary")
        assert asset.master.status == "ready"
        assert httpx.get(asset.master.url).content == clip.read_bytes()
        time.sleep(5)
        expired = httpx.get(asset.master.url)
        assert expired.status_code == 403 and expired.json()["code"] == "url_expired"
        later = mux_python.AssetsApi(sdk(server.url, site["alice"])).get_asset(asset.id).data
        assert later.master_access == "none" and later.master is None
    finally:
        server.stop()


def test_without_original_downloads_master_access_is_refused(tmp_path):
    env = {**ENV, "VIDHOST_ORIGINAL_DOWNLOADS": "false"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        alice = access_token(server, "alice")
        uploads = mux_python.DirectUploadsApi(sdk(server.url, alice))
        with pytest.raises(ApiException) as refused:
            uploads.create_direct_upload(
                mux_python.CreateUploadRequest(
                    new_asset_settings=mux_python.CreateAssetRequest(master_access="temporary")
                )
            )
        assert refused.value.status == 409
        error = json.loads(refused.value.body)["error"]
        assert error["code"] == "original_not_kept" and "ORIGINAL_DOWNLOADS" in error["messages"][0]
        assert uploads.list_direct_uploads().data == []  # nothing was created
        fine = uploads.create_direct_upload(mux_python.CreateUploadRequest()).data
        assert fine.status == "waiting"
    finally:
        server.stop()
