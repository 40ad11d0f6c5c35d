"""A clip's plan on its source's segment boundaries (ADR 0067): the edges encoded, the whole
source segments inside it copied; nothing reused when the ladders differ."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vidhost.core.clips import REUSE_KEY, reuse_plan, reused
from vidhost.core.segments import PlannedRendition, SegmentPlan, make_plan

RUNGS = (
    PlannedRendition("240p", 426, 240, 500_000, 400_000, 600_000, 800_000, "avc1.64001e"),
    PlannedRendition("720p", 1280, 720, 3_000_000, 2_500_000, 3_500_000, 5_000_000, "avc1.64001f"),
)


def plan(duration: float, fps: float = 30.0, **kw: object) -> SegmentPlan:
    made = make_plan(
        source_key="k",
        duration=duration,
        fps=fps,
        segment_seconds=4.0,
        chunk_seconds=12.0,
        first_chunk_seconds=4.0,
        renditions=kw.pop("renditions", RUNGS),  # type: ignore[arg-type]
        audio_bitrate=128_000,
        opening=(1.0, 1.0, 2.0),
        **kw,  # type: ignore[arg-type]
    )
    made.extra["quality"] = {"tier": "basic"}
    return made


SOURCE = plan(300.0)  # boundaries 0 1 2 4 8 12 ... 296 300 s


def test_the_inner_segments_are_the_sources_and_the_edges_the_clips_own() -> None:
    clip = reuse_plan(plan(60.0), SOURCE, source_id="src", first=round(120.5 * 30))
    assert clip is not None
    frames = [(s.start_frame, s.frames) for s in clip.segments]
    # an edge to the source's boundary at 124 s, the source's 4 s segments to 180 s, an edge
    assert frames[0] == (0, 105)
    assert all(f == 120 for _, f in frames[1:-1]) and len(frames) == 16
    assert frames[-1] == (105 + 14 * 120, 1800 - 105 - 14 * 120)
    assert sum(f for _, f in frames) == clip.total_frames == 1800
    inner = next(s for s in SOURCE.segments if s.start_frame == 124 * 30)
    assert reused(clip, 1) == ("src", inner.index - 1)
    assert reused(clip, 0) is None and reused(clip, 2) is None
    assert [(c.first_segment, c.segment_count) for c in clip.chunks] == [(0, 1), (1, 14), (15, 1)]
    # every segment of the clip copied from the source is the same frames of the source
    _, offset = reused(clip, 1) or ("", 0)
    for segment in clip.chunk_segments(clip.chunks[1]):
        theirs = SOURCE.segments[segment.index + offset]
        assert theirs.start_frame - round(120.5 * 30) == segment.start_frame
        assert theirs.frames == segment.frames
    assert clip.extra[REUSE_KEY]["video"] == "src" and clip.extra["quality"] == {"tier": "basic"}


def test_short_edges_take_the_next_source_segment_with_them() -> None:
    # 0.2 s before the boundary at 124 s, 0.1 s after the one at 180 s: no edge of a few frames
    clip = reuse_plan(plan(56.3), SOURCE, source_id="src", first=round(123.8 * 30))
    assert clip is not None
    assert clip.segments[0].frames == 6 + 120 and clip.segments[-1].frames == 120 + 3
    # a clip starting on a boundary still encodes its first segment (the start, the poster)
    exact = reuse_plan(plan(56.0), SOURCE, source_id="src", first=124 * 30)
    assert exact is not None and exact.segments[0].frames == 120
    assert len(exact.chunks) == 2 and reused(exact, 1) is not None  # it ends on one: no edge


@pytest.mark.parametrize(
    "clip",
    [
        plan(60.0, fps=25.0),  # another frame rate
        plan(60.0, renditions=RUNGS[:1]),  # another ladder
        plan(60.0, packaging="ts"),  # MPEG-TS
        replace(plan(60.0), extra={"quality": {"tier": "premium"}}),  # another quality
        plan(5.0),  # no whole source segment between its edges
    ],
)
def test_nothing_is_reused_from_another_ladder(clip: SegmentPlan) -> None:
    assert reuse_plan(clip, SOURCE, source_id="src", first=120 * 30) is None


def test_a_clip_past_the_sources_end_reuses_nothing() -> None:
    assert reuse_plan(plan(60.0), SOURCE, source_id="src", first=250 * 30) is None
