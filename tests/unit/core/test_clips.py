"""Where a clip falls on its source's frames, and which sources and ranges are refused
(ADR 0067)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vidhost.core.clips import CLIP_OPTION, clip_of, clippable, plan_cut
from vidhost.core.errors import CodedError, NotFound
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.core.segments import AUDIO_ONLY_RATE


def ready(duration: float = 12.0, fps: float | None = 25.0, **kw: object) -> Video:
    video = Video(id="src", owner="alice", state=VideoState.READY, duration=duration, fps=fps)
    video.video_codec = None if fps is None else "h264"
    video.audio_codec = "aac"
    for name, value in kw.items():
        setattr(video, name, value)
    return video


def refusal(source: Video, start: float | None, end: float | None) -> str:
    with pytest.raises(CodedError) as caught:
        plan_cut(source, start, end)
    return caught.value.code


def test_times_are_rounded_to_the_nearest_frame_of_the_ladders_grid() -> None:
    cut = plan_cut(ready(), 3.0, 9.49)
    assert (cut.first, cut.last, cut.rate) == (75, 237, Fraction(25))
    assert cut.start == 3.0 and cut.end == 9.48
    assert abs(cut.duration - 6.49) <= 0.5 / 25
    ntsc = plan_cut(ready(fps=29.97), 1.0, 2.0)  # the plan's exact 30000/1001
    assert ntsc.rate == Fraction(30000, 1001) and (ntsc.first, ntsc.last) == (30, 60)
    assert ntsc.option() == {"source": "src", "start": ntsc.start, "end": ntsc.end}


def test_defaults_are_the_beginning_and_the_end() -> None:
    cut = plan_cut(ready(duration=12.0), None, None)
    assert (cut.first, cut.last) == (0, 300)
    assert plan_cut(ready(), 10.0, None).last == 300


def test_an_end_a_rounding_past_the_last_frame_is_the_last_frame() -> None:
    assert plan_cut(ready(duration=12.0), 1.0, 12.01).last == 300


def test_an_audio_only_source_is_cut_on_the_aac_frame_grid() -> None:
    cut = plan_cut(ready(fps=None), 1.0, 2.0)
    assert cut.audio_only and cut.rate == AUDIO_ONLY_RATE
    assert abs(cut.start - 1.0) <= 0.5 / float(AUDIO_ONLY_RATE)


def test_bad_ranges_are_refused_with_their_codes() -> None:
    src = ready()
    assert refusal(src, 5.0, 5.0) == "invalid_clip_range"
    assert refusal(src, 5.0, 4.0) == "invalid_clip_range"
    assert refusal(src, -0.5, 4.0) == "invalid_clip_range"
    assert refusal(src, float("nan"), 4.0) == "invalid_clip_range"
    assert refusal(src, 1.0, 1.01) == "invalid_clip_range"  # both round to frame 25
    assert refusal(src, 1.0, 13.0) == "bad_time"
    assert refusal(src, 12.0, None) == "bad_time"


def test_only_the_callers_ready_videos_are_sources() -> None:
    src = ready()
    assert clippable(src, "alice") is src
    with pytest.raises(NotFound) as other:
        clippable(src, "bob")
    assert other.value.code == "video_not_found"
    with pytest.raises(NotFound) as mux:
        clippable(None, "alice", NotFound("Asset not found", code="asset_not_found"))
    assert mux.value.code == "asset_not_found"
    for state in (VideoState.CREATED, VideoState.PROCESSING, VideoState.FAILED):
        with pytest.raises(CodedError) as caught:
            clippable(ready(state=state), "alice")
        assert caught.value.code == "clip_source_not_ready"
    with pytest.raises(NotFound):
        clippable(ready(state=VideoState.DELETED), "alice")


def test_a_clip_records_its_source() -> None:
    clip = ready(options={CLIP_OPTION: plan_cut(ready(), 1.0, 2.0).option()})
    assert clip_of(clip) == {"source": "src", "start": 1.0, "end": 2.0}
    assert clip_of(ready()) is None
