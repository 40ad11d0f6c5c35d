from __future__ import annotations

import pytest

from vidhost.core.lifecycle import TaskKind
from vidhost.core.models import Video
from vidhost.core.planner import (
    enhanced_extension,
    enhanced_key,
    enhanced_prefix,
    enhancement_spec,
    make_planner,
    metadata_key,
)
from vidhost.media.thumbs import scale_filter, storyboard_layout, storyboard_vtt

T = TaskKind


def video(**options: str) -> Video:
    return Video(id="v1", owner="u", filename="clip.MOV", options=dict(options))


def test_metadata_always_enhancement_on_request() -> None:
    plan = make_planner(mode="request", default_preset="default", feeds_ladder=False)
    assert plan(video()) == [T.TRANSCODE, T.METADATA_EXTRACTION]
    assert plan(video(enhance="light")) == [
        T.TRANSCODE,
        T.METADATA_EXTRACTION,
        T.VIDEO_ENHANCEMENT,
    ]


def test_always_enhances_unless_opted_out_and_off_never_does() -> None:
    always = make_planner(mode="always", default_preset="default", feeds_ladder=False)
    assert T.VIDEO_ENHANCEMENT in list(always(video()))
    assert T.VIDEO_ENHANCEMENT not in list(always(video(enhance="none")))
    off = make_planner(mode="off", default_preset="default", feeds_ladder=False)
    assert T.VIDEO_ENHANCEMENT not in list(off(video(enhance="light")))


def test_feeding_the_ladder_defers_the_transcode() -> None:
    plan = make_planner(mode="request", default_preset="default", feeds_ladder=True)
    assert plan(video(enhance="light")) == [T.METADATA_EXTRACTION, T.VIDEO_ENHANCEMENT]
    assert plan(video()) == [T.TRANSCODE, T.METADATA_EXTRACTION]


def test_enhancement_spec() -> None:
    assert enhancement_spec(video(), "always", "light") == "light"
    assert enhancement_spec(video(enhance="sharpen"), "always", "light") == "sharpen"
    assert enhancement_spec(video(), "request", "light") is None


def test_storage_keys_follow_the_seed() -> None:
    assert metadata_key("abc") == "processed_videos/metadata/abc_metadata.json"
    assert enhanced_key(video()) == "processed_videos/enhanced_v1.mov"
    assert enhanced_key(video()).startswith(enhanced_prefix("v1"))
    assert enhanced_extension("a.webm") == "mp4"
    assert enhanced_extension(None) == "mp4"
    assert enhanced_extension("x.mkv") == "mkv"


@pytest.mark.parametrize(
    ("w", "h", "fit", "expected"),
    [
        (None, None, "contain", None),
        (200, None, "contain", "scale=200:-2"),
        (None, 90, "cover", "scale=-2:90"),
        (100, 100, "fill", "scale=100:100,setsar=1"),
        (
            100,
            100,
            "cover",
            "scale=100:100:force_original_aspect_ratio=increase,crop=100:100,setsar=1",
        ),
        (100, 100, "contain", "scale=100:100:force_original_aspect_ratio=decrease,setsar=1"),
    ],
)
def test_scale_filter(w: int | None, h: int | None, fit: str, expected: str | None) -> None:
    assert scale_filter(w, h, fit) == expected


def test_scale_filter_rejects_unknown_fit() -> None:
    with pytest.raises(ValueError):
        scale_filter(10, 10, "stretchy")


def test_storyboard_layout_and_vtt() -> None:
    layout = storyboard_layout(25.0, 1920, 1080, interval=2.0, tile_width=160, columns=10)
    assert (layout.count, layout.columns, layout.rows) == (13, 10, 2)
    assert (layout.tile_width, layout.tile_height) == (160, 90)
    vtt = storyboard_vtt(layout, 25.0, "storyboard.jpg").splitlines()
    assert vtt[0] == "WEBVTT"
    cues = [line for line in vtt if "-->" in line]
    assert len(cues) == 13
    assert cues[0] == "00:00:00.000 --> 00:00:02.000"
    assert cues[-1] == "00:00:24.000 --> 00:00:25.000"
    assert vtt[-1] == "storyboard.jpg#xywh=320,90,160,90"
    long = storyboard_layout(3600.0, 1280, 720, interval=2.0, max_tiles=100)
    assert long.count == 100 and long.interval == 36.0


def test_an_audio_only_video_is_transcoded_only() -> None:
    """ADR 0066: metadata extraction and enhancement read frames; an audio file has none."""
    plan = make_planner(mode="always", default_preset="default", feeds_ladder=False)
    audio = Video(id="a", owner="o", audio_codec="mp3", video_codec=None)
    assert audio.audio_only
    assert list(plan(audio)) == [TaskKind.TRANSCODE]
    video = Video(id="v", owner="o", audio_codec="aac", video_codec="h264")
    assert not video.audio_only
    assert TaskKind.METADATA_EXTRACTION in plan(video)
