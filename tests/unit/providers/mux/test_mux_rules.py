"""The Mux surface's pure rules: upload statuses, Content-Range, Basic credentials, views."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from vidhost.core.access import Audience, PlaybackGrant, authorize_playback_id
from vidhost.core.errors import Forbidden, InvalidInput
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Task, Video, utcnow
from vidhost.providers.mux.access_tokens import basic_credentials, hash_secret
from vidhost.providers.mux.playback_ids import is_playback_id, new_playback_id
from vidhost.providers.mux.upload_data import parse_content_range
from vidhost.providers.mux.uploads import MuxUpload, status_of
from vidhost.providers.mux.views import aspect_ratio, asset_view

S = VideoState


def upload(**kw: object) -> MuxUpload:
    fields: dict[str, object] = {
        "id": "u1",
        "owner": "alice",
        "upload_id": "u1",
        "video_id": "v1",
        "status": "waiting",
        "timeout": 3600,
    }
    fields.update(kw)
    return MuxUpload(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "probe", "expected"),
    [
        (S.UPLOADING, None, "waiting"),
        (S.UPLOADED, {"x": 1}, "asset_created"),
        (S.READY, {"x": 1}, "asset_created"),
        (S.FAILED, {"x": 1}, "asset_created"),  # processing failed: the asset errored
        (S.FAILED, None, "errored"),  # refused when accepted: no asset
        (S.DELETED, None, "cancelled"),
    ],
)
def test_upload_status_follows_the_video(state, probe, expected):
    video = Video(id="v1", owner="alice", state=state, source_probe=probe)
    got = status_of(upload(), video)
    assert got.status == expected
    assert (got.asset_id == "v1") == (expected == "asset_created")


def test_upload_times_out_and_cancel_sticks():
    video = Video(id="v1", owner="alice", state=S.UPLOADING)
    old = upload(created_at=utcnow() - timedelta(seconds=3601))
    assert status_of(old, video).status == "timed_out"
    assert status_of(upload(status="cancelled"), video).status == "cancelled"
    refused = Video(id="v1", owner="alice", state=S.FAILED, error_code="not_a_video")
    assert status_of(upload(), refused).error == {
        "type": "not_a_video",
        "message": "the file was refused",
    }


def test_content_range():
    assert parse_content_range("bytes 0-99/1000") == (0, 99, 1000)
    assert parse_content_range("bytes 100-199/*") == (100, 199, None)
    assert parse_content_range("bytes */1000") == (None, None, 1000)
    for bad in ("bytes 10-5/100", "bytes 0-100/100", "items 0-1/2", "bytes 0-/5"):
        with pytest.raises(InvalidInput):
            parse_content_range(bad)


def test_basic_credentials():
    header = "Basic " + base64.b64encode(b"id-1:se:cret").decode()
    assert basic_credentials(header) == ("id-1", "se:cret")
    assert basic_credentials("Bearer x") is None
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert len(hash_secret("s")) == 64 and hash_secret("s") != "s"


def test_playback_ids_are_long_and_alphanumeric():
    pid = new_playback_id()
    assert is_playback_id(pid) and len(pid) == 40 and pid != new_playback_id()
    assert not is_playback_id("static")  # shorter than any playback id
    assert not is_playback_id("a/b") and not is_playback_id("x" * 65)


class Keys:
    def __init__(self, grant: PlaybackGrant) -> None:
        self.grant = grant

    def verify(self, token: str) -> PlaybackGrant:
        return self.grant


def test_signed_playback_id_needs_a_token_for_that_id_and_audience():
    video = Video(id="v1", owner="alice", visibility="private")
    later = utcnow() + timedelta(hours=1)
    good = Keys(PlaybackGrant("pid1", "v", "alice", later))
    assert (
        authorize_playback_id("pid1", "public", video, None, Audience.VIDEO, good).private is False
    )
    access = authorize_playback_id("pid1", "signed", video, "t", Audience.VIDEO, good)
    assert access.by_token and access.private
    cases = [
        (None, good, "playback_token_required"),
        ("t", Keys(PlaybackGrant("v1", "v", "alice", later)), "playback_token_wrong_video"),
        ("t", Keys(PlaybackGrant("pid1", "t", "alice", later)), "playback_token_wrong_audience"),
        ("t", Keys(PlaybackGrant("pid1", "v", "bob", later)), "playback_token_wrong_key"),
    ]
    for token, keys, code in cases:
        with pytest.raises(Forbidden) as refused:
            authorize_playback_id("pid1", "signed", video, token, Audience.VIDEO, keys)
        assert refused.value.code == code


def test_asset_view_shapes():
    assert aspect_ratio(1920, 1080) == "16:9" and aspect_ratio(None, 5) is None
    video = Video(
        id="v1", owner="a", state=S.FAILED, error_code="corrupt_media", error_message="bad"
    )
    view = asset_view(video, [], None, [])
    assert view["status"] == "errored"
    assert view["errors"] == {"type": "corrupt_media", "messages": ["bad"]}
    assert view["progress"] == {"state": "errored", "progress": -1}  # Mux's -1 when errored
    assert "duration" not in view  # absent rather than null, as Mux omits unknown fields


def test_asset_progress_follows_the_ladder_not_the_status():
    """``status`` is ``ready`` once the asset plays; ``progress`` says how much of the ladder
    is stored, ``completed`` only once the ``transcode`` task is."""

    def view(state: S, status: TaskStatus | None, progress: float = 0.0) -> dict:
        video = Video(id="v1", owner="a", state=state)
        tasks = [] if status is None else [Task("v1", TaskKind.TRANSCODE, 0, status, progress)]
        return asset_view(video, [], None, tasks)

    assert view(S.UPLOADED, None)["progress"] == {"state": "ingesting", "progress": 0}
    assert view(S.PROCESSING, TaskStatus.PROCESSING, 0.0)["progress"] == {
        "state": "transcoding",
        "progress": 0.0,
    }
    ready = view(S.READY, TaskStatus.PROCESSING, 12.5)
    assert ready["status"] == "ready"
    assert ready["progress"] == {"state": "transcoding", "progress": 12.5}
    almost = view(S.READY, TaskStatus.PROCESSING, 99.97)  # never rounded up to 100
    assert almost["progress"] == {"state": "transcoding", "progress": 99.9}
    done = view(S.READY, TaskStatus.COMPLETED, 100.0)
    assert done["progress"] == {"state": "completed", "progress": 100}
