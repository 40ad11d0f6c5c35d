"""Cloudflare Stream clips (ADR 0067) with the official ``cloudflare`` SDK, only its base URL
changed: ``stream.clip.create`` makes a new video (``clippedFrom``) that becomes ready,
plays the source's frames from the cut's first to its last and outlives its source; bad
ranges are refused in Cloudflare's envelope with vidhost's codes."""

from __future__ import annotations

from pathlib import Path

import cloudflare
import pytest

from tests.e2e.frame_checks import SOURCE_FPS, assert_frame_accurate, fetch_stream, make_source
from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

DURATION = 12.0
FPS = SOURCE_FPS
FRAME = 1 / FPS


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("cfclips") / "source.mp4", DURATION)


def _ready_video(cf: cloudflare.Cloudflare, path: Path) -> str:
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, path).status_code == 200
    assert wait_ready(cf, "alice", upload.uid).ready_to_stream
    return upload.uid


def _refused(cf: cloudflare.Cloudflare, uid: str, start: int, end: int) -> tuple[int, str]:
    with pytest.raises(cloudflare.APIStatusError) as caught:
        cf.stream.clip.create(
            account_id="alice",
            clipped_from_video_uid=uid,
            start_time_seconds=start,
            end_time_seconds=end,
        )
    body = caught.value.response.json()
    assert body["success"] is False, body
    return caught.value.status_code, body["errors"][0]["vidhost_code"]


def test_a_clip_is_frame_accurate_and_outlives_its_source(
    server: ServerProcess, source: Path, tmp_path: Path
) -> None:
    cf = sdk(server)
    uid = _ready_video(cf, source)
    clip = cf.stream.clip.create(
        account_id="alice",
        clipped_from_video_uid=uid,
        start_time_seconds=3,
        end_time_seconds=9,
        meta={"name": "highlight"},
    )
    assert clip is not None and clip.uid and clip.uid != uid
    assert clip.clipped_from == uid and clip.meta == {"name": "highlight"}
    video = wait_ready(cf, "alice", clip.uid)
    assert video.ready_to_stream and video.clipped_from == uid
    assert video.duration is not None and abs(video.duration - 6) <= FRAME
    assert video.playback is not None and video.playback.hls
    stream = fetch_stream(video.playback.hls, tmp_path / "clip.mp4")
    assert_frame_accurate(stream, source, 3 * FPS, 9 * FPS)

    cf.stream.delete(identifier=uid, account_id="alice")
    after = cf.stream.get(identifier=clip.uid, account_id="alice")
    assert after is not None and after.ready_to_stream
    again = fetch_stream(video.playback.hls, tmp_path / "again.mp4")
    assert_frame_accurate(again, source, 3 * FPS, 9 * FPS)


def test_bad_ranges_are_refused_with_codes(server: ServerProcess, source: Path) -> None:
    cf = sdk(server)
    uid = _ready_video(cf, source)
    assert _refused(cf, uid, 5, 5) == (400, "invalid_clip_range")
    assert _refused(cf, uid, 6, 2) == (400, "invalid_clip_range")
    assert _refused(cf, uid, 2, int(DURATION) + 3) == (400, "bad_time")
    assert _refused(cf, "0" * 32, 1, 2) == (404, "video_not_found")
    with pytest.raises(cloudflare.NotFoundError):  # another account's video is not there
        sdk(server, "bob").stream.clip.create(
            account_id="bob", clipped_from_video_uid=uid, start_time_seconds=1, end_time_seconds=2
        )
    pending = cf.stream.clip.create(
        account_id="alice", clipped_from_video_uid=uid, start_time_seconds=1, end_time_seconds=2
    )
    assert pending is not None and pending.uid
    assert _refused(cf, pending.uid, 0, 1) == (400, "clip_source_not_ready")
