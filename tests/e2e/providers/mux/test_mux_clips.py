"""Mux clips (ADR 0067) through mux-python, only the host changed: ``create_asset`` with
``input: [{url: "mux://assets/{id}", start_time, end_time}]`` makes a new asset
(``source_asset_id``, ``ingest_type: on_demand_clip``) that becomes ready with its own
``video.asset.ready``, plays the source's frames from the cut's first to its last, and
outlives its source; bad ranges are refused in Mux's error shape with vidhost's codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest
from mux_python.rest import ApiException

from tests.e2e.frame_checks import SOURCE_FPS, assert_frame_accurate, fetch_stream, make_source
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.mux_helpers import MuxReceiver, access_token, sdk, wait_asset, wait_upload
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

DURATION = 12.0
FPS = SOURCE_FPS
FRAME = 1 / FPS


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-clips")
    env = {
        **AUTH_ENV,
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    server = ServerProcess(data, env=env).start()
    source = make_source(data / "source.mp4", DURATION)
    receiver = MuxReceiver()
    receiver.subscribe(server.url)
    try:
        alice = access_token(server, "alice")
        client = sdk(server.url, alice)
        uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
        created = uploads.create_direct_upload(
            mux_python.CreateUploadRequest(
                cors_origin="*",
                new_asset_settings=mux_python.CreateAssetRequest(playback_policy=["public"]),
            )
        ).data
        assert httpx.put(created.url, content=source.read_bytes(), timeout=60).status_code == 200
        asset = wait_asset(assets, wait_upload(uploads, created.id).asset_id)
        assert asset.status == "ready", asset
        yield {
            "url": server.url,
            "source": source,
            "asset": asset,
            "assets": assets,
            "bob": mux_python.AssetsApi(sdk(server.url, access_token(server, "bob"))),
            "receiver": receiver,
        }
    finally:
        receiver.close()
        server.stop()


def clip_request(asset_id: str, start: float | None, end: float | None) -> Any:
    return mux_python.CreateAssetRequest(
        input=[
            mux_python.InputSettings(url=f"mux://assets/{asset_id}", start_time=start, end_time=end)
        ],
        playback_policy=["public"],
    )


def refused(assets: mux_python.AssetsApi, request: Any) -> tuple[int, str, str]:
    with pytest.raises(ApiException) as caught:
        assets.create_asset(request)
    error = json.loads(caught.value.body)["error"]
    return caught.value.status, error["type"], error["code"]


def test_bad_ranges_are_refused_in_muxs_shape(site):
    assets, source = site["assets"], site["asset"].id
    bad = "invalid_parameters"
    assert refused(assets, clip_request(source, 4, 4)) == (400, bad, "invalid_clip_range")
    assert refused(assets, clip_request(source, 5, 1)) == (400, bad, "invalid_clip_range")
    assert refused(assets, clip_request(source, 1, DURATION + 2)) == (400, bad, "bad_time")
    assert refused(assets, clip_request("nope", 1, 2)) == (404, "not_found", "asset_not_found")
    # another owner's asset is not there for bob
    assert refused(site["bob"], clip_request(source, 1, 2)) == (404, "not_found", "asset_not_found")
    # start_time/end_time clip an asset only: on a URL input they are refused by name
    on_url = mux_python.CreateAssetRequest(
        input=[mux_python.InputSettings(url="https://example.com/a.mp4", start_time=1)]
    )
    assert refused(assets, on_url) == (400, bad, "unsupported_field")
    # a clip still being cut is not ready: it cannot be clipped yet
    pending = assets.create_asset(clip_request(source, 1, 2)).data
    assert pending.status == "preparing"
    assert refused(assets, clip_request(pending.id, 0, 0.5)) == (400, bad, "clip_source_not_ready")


def test_a_clip_asset_is_frame_accurate_has_its_webhooks_and_outlives_its_source(
    site, tmp_path: Path
):
    assets, source = site["assets"], site["asset"]
    start, end = 2.0, 7.2  # source frames 20 .. 71
    created = assets.create_asset(clip_request(source.id, start, end)).data
    assert created.status == "preparing" and created.source_asset_id == source.id
    assert created.ingest_type == "on_demand_clip"
    asset = wait_asset(assets, created.id)
    assert asset.status == "ready", asset
    assert abs(asset.duration - (end - start)) <= FRAME, asset.duration
    assert asset.source_asset_id == source.id
    ready = site["receiver"].wait_for("video.asset.ready", asset.id).json()
    assert ready["data"]["source_asset_id"] == source.id

    url = f"{site['url']}/{asset.playback_ids[0].id}.m3u8"
    assert_frame_accurate(fetch_stream(url, tmp_path / "clip.mp4"), site["source"], 20, 72)

    # the whole source by default (start 0, end: its duration), frame for frame
    whole = wait_asset(assets, assets.create_asset(clip_request(source.id, None, None)).data.id)
    assert whole.status == "ready" and abs(whole.duration - DURATION) <= FRAME

    assets.delete_asset(source.id)
    with pytest.raises(ApiException):
        assets.get_asset(source.id)
    assert assets.get_asset(asset.id).data.status == "ready"
    again = fetch_stream(url, tmp_path / "again.mp4")
    assert_frame_accurate(again, site["source"], 20, 72)
