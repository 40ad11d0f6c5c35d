"""A Mux direct upload on S3 storage (SeaweedFS): chunked PUTs go to the S3 upload store
(multipart parts and tail), the asset becomes ready, its playback id plays."""

from __future__ import annotations

import hashlib
import time

import httpx
import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth
from tests.e2e.mux_helpers import access_token, decoded_seconds, sdk, wait_asset, wait_upload
from tests.s3 import SeaweedS3
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_chunked_mux_upload_on_s3_plays(seaweed: SeaweedS3, tmp_path) -> None:
    env = {**AUTH_ENV, **seaweed.env(), "VIDHOST_LADDER_HEIGHTS": "[240]"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
        data = clip.read_bytes()
        client = sdk(server.url, access_token(server, "alice"))
        uploads = mux_python.DirectUploadsApi(client)
        created = uploads.create_direct_upload(
            mux_python.CreateUploadRequest(
                new_asset_settings=mux_python.CreateAssetRequest(playback_policy=["public"])
            )
        ).data
        chunk, total, first = 64 * 1024, len(data), 0
        while first < total:
            last = min(first + chunk, total) - 1
            r = httpx.put(
                created.url,
                content=data[first : last + 1],
                headers={"Content-Range": f"bytes {first}-{last}/{total}"},
                timeout=60,
            )
            assert r.status_code == (200 if last == total - 1 else 308), r.text
            first = last + 1
        upload = wait_upload(uploads, created.id)
        assert upload.status == "asset_created"
        asset = wait_asset(mux_python.AssetsApi(client), upload.asset_id)
        assert asset.status == "ready"
        seconds = decoded_seconds(f"{server.url}/{asset.playback_ids[0].id}.m3u8")
        assert abs(seconds - 2.0) < 0.25
    finally:
        server.stop()


def test_master_url_on_s3_is_a_presigned_get_of_the_original(seaweed: SeaweedS3, tmp_path) -> None:
    """On S3 the original's link is S3's own pre-signed GET (no copy, no proxy): the bytes
    are the uploaded ones, the download name is signed in, and it expires."""
    env = {
        **AUTH_ENV,
        **seaweed.env(),
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        "VIDHOST_ORIGINAL_LINK_TTL": "5",
    }
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
        data = clip.read_bytes()
        client = sdk(server.url, access_token(server, "alice"))
        uploads = mux_python.DirectUploadsApi(client)
        created = uploads.create_direct_upload(
            mux_python.CreateUploadRequest(
                new_asset_settings=mux_python.CreateAssetRequest(
                    playback_policy=["public"], master_access="temporary"
                )
            )
        ).data
        assert httpx.put(created.url, content=data, timeout=60).status_code == 200
        upload = wait_upload(uploads, created.id)
        asset = wait_asset(mux_python.AssetsApi(client), upload.asset_id)
        assert asset.master.status == "ready"
        url = asset.master.url
        assert url.startswith(seaweed.endpoint)
        assert "X-Amz-Signature=" in url and "response-content-disposition=" in url
        got = httpx.get(url, timeout=60)
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
        assert got.headers["content-disposition"].startswith("attachment;")
        part = httpx.get(url, headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == data[:10]
        native = httpx.get(f"{server.url}/api/videos/{asset.id}/original", headers=auth("alice"))
        assert native.status_code == 200 and "X-Amz-Signature=" in native.json()["url"]
        assert httpx.get(native.json()["url"]).content == data
        time.sleep(6)
        assert httpx.get(url).status_code == 403  # S3 itself refuses the expired signature
    finally:
        server.stop()
