"""The Mux Video API subset (ADR 0091) driven by Mux's own clients, only the host changed:
mux-python (PyPI), @mux/mux-node's webhook verification and seed 002's createMuxUploadUrl
(Node), plus the protocol details the SDKs do not reach (chunked PUTs, CORS, bad input)."""

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
from mux_python.rest import ApiException

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth
from tests.e2e.ingest.conftest import run_node
from tests.e2e.mux_helpers import (
    MuxReceiver,
    access_token,
    decoded_seconds,
    sdk,
    wait_asset,
    wait_upload,
)
from tests.http_server import static_files
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[3] / "js"
DURATION = 2.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux")
    env = {
        **AUTH_ENV,
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        # The loopback webhook receiver and the pull-ingest file server (numeric address only).
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    server = ServerProcess(data, env=env).start()
    clip = make_clip(data / "clip.mp4", duration=DURATION, width=320, height=240)
    files = static_files(data)
    receiver = MuxReceiver()
    secret = receiver.subscribe(server.url)
    try:
        yield {
            "server": server,
            "url": server.url,
            "clip": clip,
            "alice": access_token(server, "alice"),
            "bob": access_token(server, "bob"),
            "files": files.base_url,
            "files_port": files.port,
            "receiver": receiver,
            "webhook_secret": secret,
        }
    finally:
        files.close()
        receiver.close()
        server.stop()


def _ready_asset(site: dict[str, Any], policy: str = "public") -> Any:
    """An asset made the SDK way: a direct upload, one PUT, polled to ready."""
    client = sdk(site["url"], site["alice"])
    uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(
            cors_origin="*",
            new_asset_settings=mux_python.CreateAssetRequest(
                playback_policy=[policy], passthrough="order-42", mp4_support="standard"
            ),
        )
    ).data
    assert created.status == "waiting" and created.url and created.timeout == 3600
    assert created.new_asset_settings.passthrough == "order-42"
    with open(site["clip"], "rb") as fh:
        put = httpx.put(created.url, content=fh.read(), timeout=60)
    assert put.status_code == 200, put.text
    upload = wait_upload(uploads, created.id)
    assert upload.status == "asset_created" and upload.asset_id
    asset = wait_asset(assets, upload.asset_id)
    assert asset.status == "ready", asset
    return asset


@pytest.fixture(scope="module")
def public_asset(site: dict[str, Any]) -> Any:
    return _ready_asset(site)


def test_sdk_upload_to_ready_asset_plays_to_the_source_duration(site, public_asset):
    asset = public_asset
    assert abs(asset.duration - DURATION) < 0.2
    assert asset.aspect_ratio == "4:3"
    assert asset.max_stored_resolution == "SD" and asset.resolution_tier == "720p"
    assert asset.max_stored_frame_rate == 25
    video, audio = asset.tracks
    assert (video.type, video.max_width, video.max_height, video.max_frame_rate) == (
        "video",
        320,
        240,
        25,
    )
    assert audio.type == "audio"
    assert asset.passthrough == "order-42" and asset.upload_id
    assert asset.mp4_support == "standard"
    (pid,) = asset.playback_ids
    assert pid.policy == "public"
    # Any HLS client plays it from the stream.mux.com-shaped URL on vidhost's host.
    seconds = decoded_seconds(f"{site['url']}/{pid.id}.m3u8")
    assert abs(seconds - DURATION) < 0.25, seconds
    listed = mux_python.AssetsApi(sdk(site["url"], site["alice"])).list_assets(limit=5, page=1)
    assert asset.id in [a.id for a in listed.data]


def test_images_in_image_mux_com_shapes(site, public_asset):
    pid = public_asset.playback_ids[0].id
    base = site["url"]
    r = httpx.get(f"{base}/{pid}/thumbnail.png?time=1&width=160&fit_mode=preserve")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG"), r.text
    r = httpx.get(f"{base}/{pid}/thumbnail.jpg?width=100&height=100&fit_mode=smartcrop")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    r = httpx.get(f"{base}/{pid}/animated.gif?start=0&end=1&width=80", timeout=60)
    assert r.status_code == 200 and r.content.startswith(b"GIF8")
    r = httpx.get(f"{base}/{pid}/storyboard.vtt", timeout=60)
    assert r.status_code == 200 and r.text.startswith("WEBVTT")
    tile = next(line for line in r.text.splitlines() if "#xywh=" in line)
    sprite = httpx.get(f"{base}/{pid}/{tile.split('#')[0]}")
    assert sprite.status_code == 200 and sprite.content[:2] == b"\xff\xd8"
    bad = httpx.get(f"{base}/{pid}/thumbnail.jpg?fit_mode=sideways")
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_parameters"


def test_signed_playback_with_a_token_from_a_signing_key(site, public_asset):
    client = sdk(site["url"], site["alice"])
    assets = mux_python.AssetsApi(client)
    signed = assets.create_asset_playback_id(
        public_asset.id, mux_python.CreatePlaybackIDRequest(policy="signed")
    ).data
    assert signed.policy == "signed"
    key = mux_python.SigningKeysApi(client).create_signing_key().data
    pem = base64.b64decode(key.private_key)
    # The signing key is the one ADR 0050 keeps: listed by vidhost's own API too.
    mine = httpx.get(f"{site['url']}/api/signing-keys", headers=auth("alice")).json()
    assert key.id in [k["id"] for k in mine["signingKeys"]]
    base = f"{site['url']}/{signed.id}"

    def token(aud: str, sub: str = signed.id, ttl: int = 600) -> str:
        claims = {"sub": sub, "aud": aud, "exp": int(time.time()) + ttl}
        return jwt.encode(claims, pem, "RS256", headers={"kid": key.id})

    refused = httpx.get(f"{base}.m3u8")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "playback_token_required"
    master = httpx.get(f"{base}.m3u8?token={token('v')}")
    assert master.status_code == 200
    assert all("token=" in line for line in master.text.splitlines() if line and line[0] != "#")
    seconds = decoded_seconds(f"{base}.m3u8?token={token('v')}")
    assert abs(seconds - DURATION) < 0.25
    wrong_aud = httpx.get(f"{base}.m3u8?token={token('t')}")
    assert wrong_aud.json()["error"]["code"] == "playback_token_wrong_audience"
    other_pid = httpx.get(f"{base}.m3u8?token={token('v', sub=public_asset.id)}")
    assert other_pid.json()["error"]["code"] == "playback_token_wrong_video"
    expired = httpx.get(f"{base}.m3u8?token={token('v', ttl=-60)}")
    assert expired.json()["error"]["code"] == "playback_token_expired"
    thumb = httpx.get(f"{base}/thumbnail.jpg?token={token('t')}")
    assert thumb.status_code == 200 and thumb.headers["cache-control"].startswith("private")
    assert httpx.get(f"{base}/thumbnail.jpg").status_code == 403
    # The public playback id of the same asset stays open.
    assert httpx.get(f"{site['url']}/{public_asset.playback_ids[0].id}.m3u8").status_code == 200
    # Playback id reads and deletion.
    got = assets.get_asset_playback_id(public_asset.id, signed.id).data
    assert got.policy == "signed"
    found = mux_python.PlaybackIDApi(client).get_asset_or_livestream_id(signed.id).data
    assert found.object.type == "asset" and found.object.id == public_asset.id
    assets.delete_asset_playback_id(public_asset.id, signed.id)
    gone = httpx.get(f"{base}.m3u8?token={token('v')}")
    assert gone.status_code == 404 and gone.json()["error"]["type"] == "not_found"
    mux_python.SigningKeysApi(client).delete_signing_key(key.id)


def test_mux_webhook_passes_mux_node_verification(site, public_asset):
    received = site["receiver"].wait_for("video.asset.ready", public_asset.id)
    assert received.headers["mux-signature"].startswith("t=")
    path = Path(site["server"].data_dir) / "webhook.json"
    path.write_text(json.dumps({"body": received.text, "headers": received.headers}))
    out = run_node(
        JS,
        "mux_webhook_unwrap.js",
        {"WEBHOOK_FILE": str(path), "MUX_WEBHOOK_SECRET": site["webhook_secret"]},
    )
    assert out["type"] == "video.asset.ready" and out["tamperedRefused"] is True
    assert out["object"] == {"type": "asset", "id": public_asset.id}
    assert out["data"]["status"] == "ready" and out["data"]["passthrough"] == "order-42"
    assert out["data"]["playback_ids"][0]["policy"] == "public"
    event = received.json()
    assert set(event) >= {"type", "id", "object", "data", "created_at", "environment"}
    types = {r.json()["type"] for r in site["receiver"].requests}
    assert {"video.upload.asset_created", "video.asset.created", "video.asset.ready"} <= types
    assert "video.asset.processing" not in types  # vidhost's own events are not Mux's


def test_seed_002_create_mux_upload_url_in_node(site):
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
    assert out["provider"] == "mux" and out["videoId"] and out["putStatus"] == 200
    assert out.get("assetId") is None  # Mux has no asset yet when the upload is created
    uploads = mux_python.DirectUploadsApi(sdk(site["url"], site["alice"]))
    upload = wait_upload(uploads, out["videoId"])
    assert upload.status == "asset_created" and upload.cors_origin == "http://app.example"
    event = site["receiver"].wait_for("video.upload.asset_created", out["videoId"])
    assert event.json()["data"]["asset_id"] == upload.asset_id
    # Its master_access: 'temporary' took effect: master.url downloads the original bytes.
    asset = wait_asset(mux_python.AssetsApi(sdk(site["url"], site["alice"])), upload.asset_id)
    assert asset.status == "ready" and asset.master_access == "temporary"
    master = httpx.get(asset.master.url, timeout=60)
    assert master.status_code == 200 and master.content == Path(site["clip"]).read_bytes()
    site["receiver"].wait_for("video.asset.master.ready", upload.asset_id)


def _new_upload(site: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{site['url']}/video/v1/uploads", json=body, auth=site["alice"])
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def test_chunked_puts_answer_308_with_range_and_resume(site):
    upload = _new_upload(site, cors_origin="http://app.example")
    data = Path(site["clip"]).read_bytes()
    total, chunk = len(data), 32 * 1024
    assert total > 4 * chunk
    url = upload["url"]

    def put(first: int, last: int) -> httpx.Response:
        return httpx.put(
            url,
            content=data[first : last + 1],
            headers={"Content-Range": f"bytes {first}-{last}/{total}"},
        )

    r = put(0, chunk - 1)
    assert r.status_code == 308 and r.headers["range"] == f"bytes=0-{chunk - 1}"
    # The same chunk again (its answer was lost): acknowledged, nothing appended twice.
    r = put(0, chunk - 1)
    assert r.status_code == 308 and r.headers["range"] == f"bytes=0-{chunk - 1}"
    # A chunk that skips ahead is refused; the status query says where to resume.
    assert put(2 * chunk, 3 * chunk - 1).status_code == 409
    status = httpx.put(url, headers={"Content-Range": f"bytes */{total}"})
    assert status.status_code == 308 and status.headers["range"] == f"bytes=0-{chunk - 1}"
    first = chunk
    while first < total:
        last = min(first + chunk, total) - 1
        r = put(first, last)
        first = last + 1
    assert r.status_code == 200, r.text
    got = httpx.get(f"{site['url']}/video/v1/uploads/{upload['id']}", auth=site["alice"]).json()
    for _ in range(100):
        if got["data"]["status"] != "waiting":
            break
        time.sleep(0.1)
        got = httpx.get(f"{site['url']}/video/v1/uploads/{upload['id']}", auth=site["alice"])
        got = got.json()
    assert got["data"]["status"] == "asset_created" and got["data"]["asset_id"]


def test_upload_url_honours_cors_origin(site):
    upload = _new_upload(site, cors_origin="http://app.example")
    preflight = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-range,content-type",
    }
    ok = httpx.options(upload["url"], headers={"Origin": "http://app.example", **preflight})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://app.example"
    assert "PUT" in ok.headers["access-control-allow-methods"]
    other = httpx.options(upload["url"], headers={"Origin": "http://evil.example", **preflight})
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers
    put = httpx.put(
        upload["url"],
        content=b"\0" * 10,
        headers={"Origin": "http://app.example", "Content-Range": "bytes 0-9/1000"},
    )
    assert put.status_code == 308
    assert put.headers["access-control-allow-origin"] == "http://app.example"
    assert "Range" in put.headers["access-control-expose-headers"]


def test_cancel_and_list_uploads(site):
    uploads = mux_python.DirectUploadsApi(sdk(site["url"], site["alice"]))
    created = uploads.create_direct_upload(mux_python.CreateUploadRequest(cors_origin="*")).data
    cancelled = uploads.cancel_direct_upload(created.id).data
    assert cancelled.status == "cancelled"
    assert httpx.put(created.url, content=b"x").status_code == 409
    listed = uploads.list_direct_uploads(limit=50, page=1).data
    assert created.id in [u.id for u in listed]
    with pytest.raises(ApiException) as again:
        uploads.cancel_direct_upload(created.id)
    assert again.value.status == 409


def test_pull_ingest_from_a_url(site):
    client = sdk(site["url"], site["alice"])
    assets = mux_python.AssetsApi(client)
    created = assets.create_asset(
        mux_python.CreateAssetRequest(
            input=[mux_python.InputSettings(url=f"{site['files']}/clip.mp4")],
            playback_policy=["public"],
            passthrough="pulled",
        )
    ).data
    assert created.status == "preparing" and created.passthrough == "pulled"
    asset = wait_asset(assets, created.id)
    assert asset.status == "ready" and abs(asset.duration - DURATION) < 0.2
    assert asset.ingest_type == "on_demand_url"
    # A missing file errors the asset (Mux's errors object).
    missing = assets.create_asset(
        mux_python.CreateAssetRequest(input=[mux_python.InputSettings(url=f"{site['files']}/nope")])
    ).data
    errored = wait_asset(assets, missing.id)
    assert errored.status == "errored" and errored.errors.type == "download_failed"


@pytest.mark.parametrize(
    "host", ["localhost", "[::1]", "127.0.0.2", "0177.0.0.2", "169.254.169.254"]
)
def test_pull_ingest_refuses_local_urls(site, host):
    r = httpx.post(
        f"{site['url']}/video/v1/assets",
        json={"input": [{"url": f"http://{host}:{site['files_port']}/clip.mp4"}]},
        auth=site["alice"],
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] == "invalid_parameters"
    assert r.json()["error"]["code"] == "url_forbidden"


def test_bad_credentials_answer_401_in_mux_shape(site):
    token_id, _ = site["alice"]
    for credentials in [(token_id, "wrong"), ("nobody", "x"), None]:
        r = httpx.get(f"{site['url']}/video/v1/assets", auth=credentials)
        assert r.status_code == 401
        assert r.json() == {
            "error": {
                "type": "unauthorized",
                "messages": ["Unauthorized request"],
                "code": "unauthorized",
            }
        }
        assert r.headers["www-authenticate"].startswith("Basic")
    with pytest.raises(ApiException) as sdk_error:
        mux_python.AssetsApi(sdk(site["url"], (token_id, "wrong"))).list_assets()
    assert sdk_error.value.status == 401


def test_another_owners_asset_is_404(site, public_asset):
    bob = site["bob"]
    for method, path in [
        ("GET", f"/video/v1/assets/{public_asset.id}"),
        ("DELETE", f"/video/v1/assets/{public_asset.id}"),
        ("POST", f"/video/v1/assets/{public_asset.id}/playback-ids"),
        ("GET", f"/video/v1/playback-ids/{public_asset.playback_ids[0].id}"),
    ]:
        r = httpx.request(method, site["url"] + path, auth=bob, json={"policy": "public"})
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["type"] == "not_found"
    assert public_asset.id not in [
        a["id"] for a in httpx.get(f"{site['url']}/video/v1/assets", auth=bob).json()["data"]
    ]


def test_unknown_fields_are_ignored(site):
    upload = _new_upload(
        site,
        cors_origin="*",
        new_asset_settings={"playback_policy": ["public"], "some_future_flag": True},
        not_a_field={"nested": 1},
    )
    assert upload["status"] == "waiting"
    assert "some_future_flag" not in upload["new_asset_settings"]
    bad = httpx.post(
        f"{site['url']}/video/v1/uploads",
        json={"new_asset_settings": {"playback_policy": ["drm-ish"]}},
        auth=site["alice"],
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_parameters"


def test_access_tokens_api_lists_without_secrets_and_revokes(site):
    made = httpx.post(
        f"{site['url']}/system/v1/access-tokens", json={"name": "ci"}, auth=site["alice"]
    )
    assert made.status_code == 201
    token = made.json()["data"]
    assert set(token) >= {"id", "secret", "created_at"}
    creds = (token["id"], token["secret"])
    assert httpx.get(f"{site['url']}/video/v1/assets", auth=creds).status_code == 200
    listed = httpx.get(f"{site['url']}/system/v1/access-tokens", auth=creds).json()["data"]
    assert token["id"] in [t["id"] for t in listed]
    assert all("secret" not in t for t in listed)
    r = httpx.delete(f"{site['url']}/system/v1/access-tokens/{token['id']}", auth=site["alice"])
    assert r.status_code == 204
    assert httpx.get(f"{site['url']}/video/v1/assets", auth=creds).status_code == 401


def test_delete_asset_answers_204_and_sends_deleted(site):
    asset = _ready_asset(site)
    assets = mux_python.AssetsApi(sdk(site["url"], site["alice"]))
    r = httpx.delete(f"{site['url']}/video/v1/assets/{asset.id}", auth=site["alice"])
    assert r.status_code == 204
    with pytest.raises(ApiException) as gone:
        assets.get_asset(asset.id)
    assert gone.value.status == 404
    assert httpx.get(f"{site['url']}/{asset.playback_ids[0].id}.m3u8").status_code == 404
    site["receiver"].wait_for("video.asset.deleted", asset.id)


def test_a_file_that_is_not_a_video_errors_the_upload(site):
    upload = _new_upload(site, cors_origin="*")
    r = httpx.put(upload["url"], content=b"definitely not a video " * 100)
    assert r.status_code == 200  # stored; refused when accepted, as Mux errors it later
    uploads = mux_python.DirectUploadsApi(sdk(site["url"], site["alice"]))
    errored = wait_upload(uploads, upload["id"])
    assert errored.status == "errored" and errored.asset_id is None
    assert errored.error.type == "not_a_video" and errored.error.message


def test_playback_routes_leave_the_web_app_alone(site):
    for path in ("/", "/upload", "/videos/abc", "/docs", "/sign-in"):
        page = httpx.get(site["url"] + path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert httpx.get(site["url"] + "/healthz").json()["status"] == "ok"
    assert httpx.get(site["url"] + "/openapi.json").status_code == 200
    # A web-app path wins over a playback route of the same shape...
    page = httpx.get(site["url"] + "/videos/thumbnail.jpg")
    assert page.headers["content-type"].startswith("text/html")
    # ...and a first segment that is no playback id's shape is a 404, never a render.
    for path in ("/upload.m3u8", "/static/storyboard.vtt", "/api/thumbnail.jpg"):
        r = httpx.get(site["url"] + path)
        assert r.status_code == 404, path


def test_a_cloudflare_edit_of_a_mux_asset_keeps_its_mux_settings(site):
    """One video, two vendors' APIs: Cloudflare's edit replaces the user's ``meta``, and the
    Mux asset's own settings (passthrough, mp4_support) survive it, unseen in that ``meta``."""
    asset = _ready_asset(site)
    assets = mux_python.AssetsApi(sdk(site["url"], site["alice"]))
    assets.update_asset(asset.id, mux_python.UpdateAssetRequest(passthrough="order-43"))
    r = httpx.post(
        f"{site['url']}/client/v4/accounts/alice/stream/{asset.id}",
        json={"meta": {"name": "renamed.mp4", "userId": "u1"}},
        headers=auth("alice"),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["result"]["meta"] == {"name": "renamed.mp4", "userId": "u1"}
    again = assets.get_asset(asset.id).data
    assert again.passthrough == "order-43" and again.mp4_support == "standard"
