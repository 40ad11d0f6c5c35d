"""Generated captions (issue 22 part 2, ADR 0069) through the official SDKs, unmodified but
for the base URL: mux-python (``generated_subtitles`` in ``input`` at creation,
``generate_asset_track_subtitles``), @mux/mux-node (``new_asset_settings.input`` of a direct
upload, ``generateSubtitles``) and cloudflare (``stream.captions.language.create``: the
``/generate`` route). The speech is espeak-ng's; the tracks' words are checked (>= 70 %)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest
from cloudflare import Cloudflare

from tests.e2e.delivery.test_generated_captions import recognized_share, upload
from tests.e2e.helpers import AUTH_ENV, SECRET, auth, wait_for_state
from tests.e2e.ingest.conftest import run_node
from tests.e2e.mux_helpers import access_token, sdk, wait_asset
from tests.http_server import static_files
from tests.server import ServerProcess
from tests.speech import SENTENCES, needs_espeak, speech_clip
from vidhost.http.auth.tokens import issue_token

pytestmark = [
    pytest.mark.e2e,
    needs_espeak,
]

get = functools.partial(httpx.get, timeout=60)
post = functools.partial(httpx.post, timeout=120)

JS = Path(__file__).resolve().parents[2] / "js"
SPOKEN = SENTENCES[1:3]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("generated-sdks")
    files = data / "files"
    files.mkdir()
    clip = speech_clip(files / "speech.mp4", SPOKEN)
    env = {
        **AUTH_ENV,
        "VIDHOST_LADDER_HEIGHTS": "[144]",
        "VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',  # the URL input's origin
    }
    server = ServerProcess(data, env=env).start()
    origin = static_files(files)
    try:
        token = access_token(server, "alice")
        yield {
            "server": server,
            "url": server.url,
            "clip": clip,
            "clip_url": f"{origin.base_url}/speech.mp4",
            "token": token,
            "assets": mux_python.AssetsApi(sdk(server.url, token)),
        }
    finally:
        origin.close()
        server.stop()


def wait_text(assets: mux_python.AssetsApi, asset_id: str, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    texts: list[Any] = []
    while time.monotonic() < deadline:
        texts = [t for t in assets.get_asset(asset_id).data.tracks or [] if t.type == "text"]
        if texts and all(t.status != "preparing" for t in texts):
            return texts
        time.sleep(0.5)
    raise AssertionError(f"text tracks of {asset_id} still preparing: {texts}")


def test_mux_sdks_generate_subtitles_at_creation_on_upload_and_on_request(site):
    assets = site["assets"]
    english = mux_python.AssetGeneratedSubtitleSettings(
        language_code="en", name="English (generated)", passthrough="cc-1"
    )
    created = assets.create_asset(
        mux_python.CreateAssetRequest(
            input=[mux_python.InputSettings(url=site["clip_url"], generated_subtitles=[english])],
            playback_policy=[mux_python.PlaybackPolicy.PUBLIC],
        )
    ).data
    # mux-node meanwhile: a direct upload asking for them in new_asset_settings.input
    token_id, secret = site["token"]
    node = run_node(
        JS,
        "mux_generated_subtitles.js",
        {
            "MUX_BASE_URL": site["url"],
            "MUX_TOKEN_ID": token_id,
            "MUX_TOKEN_SECRET": secret,
            "UPLOAD_FILE": str(site["clip"]),
        },
        timeout=300,
    )
    assert node["putStatus"] == 200 and node["status"] == "ready", node
    (generated,) = node["generated"]
    assert generated["text_source"] == "generated_vod" and generated["language_code"] == "en"
    assert [t["id"] for t in node["textTracks"]] == [generated["id"]]  # asked once, made once

    asset = wait_asset(assets, created.id)
    assert asset.status == "ready"
    for asset_id in (created.id, node["assetId"]):
        (track,) = wait_text(assets, asset_id)
        assert track.status == "ready", track
        assert track.text_source == "generated_vod" and track.language_code == "en"
        pid = assets.get_asset(asset_id).data.playback_ids[0].id
        vtt = get(f"{site['url']}/{pid}/text/{track.id}.vtt", timeout=30).text
        assert recognized_share(vtt, list(SPOKEN)) >= 0.7, vtt
    (first,) = wait_text(assets, created.id)
    assert first.name == "English (generated)" and first.passthrough == "cc-1"
    # generate-subtitles on the audio track, with mux-python: the same language answers the
    # track there is (nothing runs twice); an unknown track is 404
    audio = next(t for t in asset.tracks if t.type == "audio")
    again = assets.generate_asset_track_subtitles(
        created.id,
        audio.id,
        mux_python.GenerateTrackSubtitlesRequest(
            generated_subtitles=[mux_python.AssetGeneratedSubtitleSettings(language_code="en")]
        ),
    ).data
    assert [t.id for t in again] == [first.id]
    with pytest.raises(mux_python.rest.NotFoundException):
        assets.generate_asset_track_subtitles(
            created.id,
            "no-such-track",
            mux_python.GenerateTrackSubtitlesRequest(
                generated_subtitles=[mux_python.AssetGeneratedSubtitleSettings(language_code="en")]
            ),
        )


def test_cloudflare_sdk_generates_captions(site):
    alice = auth("alice")
    uid = upload(site["url"], site["clip"], alice)
    assert wait_for_state(site["url"], uid, alice, {"ready", "failed"})["state"] == "ready"
    cf = Cloudflare(
        api_token=issue_token(SECRET, "alice"),
        base_url=f"{site['url']}/client/v4",
        max_retries=0,
    )
    caption = cf.stream.captions.language.create("en", account_id="alice", identifier=uid)
    assert caption is not None
    assert caption.generated is True and caption.language == "en"
    assert caption.status == "inprogress"
    deadline = time.monotonic() + 300
    while caption is not None and caption.status == "inprogress" and time.monotonic() < deadline:
        time.sleep(0.5)
        caption = cf.stream.captions.language.create("en", account_id="alice", identifier=uid)
    assert caption is not None and caption.status == "ready", caption
    tracks = get(f"{site['url']}/api/videos/{uid}/captions", headers=alice).json()
    (track,) = tracks
    vtt = get(track["url"], headers=alice).text
    assert recognized_share(vtt, list(SPOKEN)) >= 0.7, vtt
    # another account cannot, an unknown language is refused
    bob = Cloudflare(
        api_token=issue_token(SECRET, "bob"), base_url=f"{site['url']}/client/v4", max_retries=0
    )
    with pytest.raises(Exception) as refused:
        bob.stream.captions.language.create("en", account_id="bob", identifier=uid)
    assert getattr(refused.value, "status_code", None) == 404
    with pytest.raises(Exception) as bad:
        cf.stream.captions.language.create("tlh", account_id="alice", identifier=uid)
    assert getattr(bad.value, "status_code", None) == 400
