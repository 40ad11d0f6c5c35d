"""Mux text tracks (issue 22, ADR 0068) through mux-python, only the host changed: text
inputs at creation, ``create_asset_track`` (a URL pulled in the background, checked like an
upload), the asset's ``tracks``, ``/{PLAYBACK_ID}/text/{TRACK_ID}.vtt``, the master's
SUBTITLES group on the Mux surface, ``delete_asset_track`` and the
``video.asset.track.*`` webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.ingest.conftest import run_node
from tests.e2e.mux_helpers import MuxReceiver, access_token, sdk, wait_asset
from tests.http_server import static_files
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[3] / "js"

ENGLISH = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello <i>there</i>\n"
FRENCH = "1\n00:00:02,000 --> 00:00:04,000\nBonjour à tous\n".encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("mux-text")
    files = data / "files"
    files.mkdir()
    make_clip(files / "clip.mp4", duration=6.0, width=320, height=240)
    (files / "en.vtt").write_bytes(ENGLISH)
    (files / "fr.srt").write_bytes(FRENCH)
    (files / "bad.vtt").write_bytes(b"\x00\x01binary, not captions")
    env = {
        **AUTH_ENV,
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    server = ServerProcess(data, env=env).start()
    origin = static_files(files)
    receiver = MuxReceiver()
    receiver.subscribe(server.url)
    try:
        token = access_token(server, "alice")
        client = sdk(server.url, token)
        yield {
            "token": token,
            "url": server.url,
            "files": origin.base_url,
            "assets": mux_python.AssetsApi(client),
            "receiver": receiver,
        }
    finally:
        receiver.close()
        origin.close()
        server.stop()


def wait_tracks(assets: mux_python.AssetsApi, asset_id: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 60
    texts: list[Any] = []
    while time.monotonic() < deadline:
        texts = [t for t in assets.get_asset(asset_id).data.tracks if t.type == "text"]
        if len(texts) == count and all(t.status != "preparing" for t in texts):
            return texts
        time.sleep(0.2)
    raise AssertionError(f"text tracks of {asset_id}: {texts}")


@pytest.fixture(scope="module")
def asset(site: dict[str, Any]) -> Any:
    assets = site["assets"]
    created = assets.create_asset(
        mux_python.CreateAssetRequest(
            input=[
                mux_python.InputSettings(url=f"{site['files']}/clip.mp4"),
                mux_python.InputSettings(
                    url=f"{site['files']}/en.vtt",
                    type="text",
                    text_type="subtitles",
                    language_code="en",
                    name="English",
                    closed_captions=True,
                ),
            ],
            playback_policy=[mux_python.PlaybackPolicy.PUBLIC],
        )
    ).data
    ready = wait_asset(assets, created.id)
    assert ready.status == "ready", ready
    return ready


def test_text_input_at_creation_and_a_track_added_by_url(site, asset) -> None:
    assets = site["assets"]
    (en,) = wait_tracks(assets, asset.id, 1)
    assert (en.status, en.language_code, en.name, en.closed_captions) == (
        "ready",
        "en",
        "English",
        True,
    )
    assert (en.text_type, en.text_source) == ("subtitles", "uploaded")
    added = assets.create_asset_track(
        asset.id,
        mux_python.CreateTrackRequest(
            url=f"{site['files']}/fr.srt",
            type="text",
            text_type="subtitles",
            language_code="fr",
            name="Français",
            passthrough="fr-1",
        ),
    ).data
    assert (added.type, added.status, added.passthrough) == ("text", "preparing", "fr-1")
    tracks = {t.language_code: t for t in wait_tracks(assets, asset.id, 2)}
    assert tracks["fr"].status == "ready" and tracks["fr"].id == added.id
    pid = asset.playback_ids[0].id
    vtt = httpx.get(f"{site['url']}/{pid}/text/{added.id}.vtt")
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert "00:00:02.000 --> 00:00:04.000\nBonjour à tous" in vtt.text

    master = httpx.get(f"{site['url']}/{pid}.m3u8").text
    subs = [line for line in master.splitlines() if "TYPE=SUBTITLES" in line]
    assert len(subs) == 2 and f'URI="{pid}/hls/subs-{added.id}.m3u8"' in subs[1], master
    playlist = httpx.get(f"{site['url']}/{pid}/hls/subs-{added.id}.m3u8").text
    first = next(line for line in playlist.splitlines() if line.startswith("segment/"))
    cut = httpx.get(f"{site['url']}/{pid}/hls/{first}")
    assert cut.status_code == 200 and "X-TIMESTAMP-MAP=MPEGTS:0" in cut.text

    receiver = site["receiver"]
    for kind in ("created", "ready"):
        event = receiver.wait_for(f"video.asset.track.{kind}", asset.id).json()
        assert event["data"]["type"] == "text" and event["data"]["asset_id"] == asset.id


def test_a_bad_file_errors_the_track_and_a_track_is_deleted(site, asset) -> None:
    assets = site["assets"]
    before = len(wait_tracks(assets, asset.id, len(asset_texts(assets, asset.id))))
    bad = assets.create_asset_track(
        asset.id,
        mux_python.CreateTrackRequest(
            url=f"{site['files']}/bad.vtt", type="text", text_type="subtitles", language_code="de"
        ),
    ).data
    tracks = {t.id: t for t in wait_tracks(assets, asset.id, before + 1)}
    assert tracks[bad.id].status == "errored"
    errored = site["receiver"].wait_for("video.asset.track.errored", asset.id).json()
    assert errored["data"]["id"] == bad.id
    pid = asset.playback_ids[0].id
    assert f"subs-{bad.id}" not in httpx.get(f"{site['url']}/{pid}.m3u8").text

    with pytest.raises(mux_python.exceptions.ApiException) as refused:
        assets.create_asset_track(
            asset.id,
            mux_python.CreateTrackRequest(
                url="http://10.1.2.3/x.vtt", type="text", text_type="subtitles", language_code="de"
            ),
        )
    assert refused.value.status == 400  # the URL guard: nothing created

    assets.delete_asset_track(asset.id, bad.id)
    assert bad.id not in {t.id for t in asset_texts(assets, asset.id)}
    deleted = site["receiver"].wait_for("video.asset.track.deleted", asset.id).json()
    assert deleted["data"]["status"] == "deleted"
    with pytest.raises(mux_python.exceptions.NotFoundException):
        assets.delete_asset_track(asset.id, bad.id)


def asset_texts(assets: mux_python.AssetsApi, asset_id: str) -> list[Any]:
    return [t for t in assets.get_asset(asset_id).data.tracks if t.type == "text"]


def test_mux_node_creates_and_deletes_a_text_track(site, asset) -> None:
    token_id, secret = site["token"]
    out = run_node(
        JS,
        "mux_text_tracks.js",
        {
            "MUX_BASE_URL": site["url"],
            "MUX_TOKEN_ID": token_id,
            "MUX_TOKEN_SECRET": secret,
            "ASSET_ID": asset.id,
            "TRACK_URL": f"{site['files']}/en.vtt",
        },
    )
    created, ready = out["created"], out["ready"]
    assert (created["type"], created["status"], created["language_code"]) == (
        "text",
        "preparing",
        "es",
    )
    assert ready["status"] == "ready" and ready["text_source"] == "uploaded"
    assert created["id"] not in out["afterDelete"]
