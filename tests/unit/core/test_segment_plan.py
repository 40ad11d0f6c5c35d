"""The segment plan and the playlists written from it (pure, ADR 0060)."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from vidhost.core.bitrates import Rates
from vidhost.core.dash import dash_manifest
from vidhost.core.segments import (
    AUDIO_ONLY_RATE,
    PlannedRendition,
    SegmentPlan,
    make_plan,
    master_playlist,
    media_playlist,
    output_rate,
)

RUNG = PlannedRendition("240p", 426, 240, 500_000, 400_000, 428_000, 600_000, "avc1.64000d")


def _plan(
    duration: float,
    fps: float | None = 25,
    packaging: str = "cmaf",
    opening: tuple[float, ...] = (),
    **kw: float,
) -> SegmentPlan:
    values = {"segment_seconds": 4.0, "chunk_seconds": 12.0, "first_chunk_seconds": 4.0, **kw}
    return make_plan(
        source_key="videos/x/source",
        duration=duration,
        fps=fps,
        renditions=(RUNG,),
        audio_bitrate=96_000,
        packaging=packaging,
        opening=opening,
        **values,
    )


def test_boundaries_every_segment_the_last_one_shorter() -> None:
    plan = _plan(10.0)
    assert [(s.start_frame, s.frames) for s in plan.segments] == [(0, 100), (100, 100), (200, 50)]
    assert plan.total_frames == 250
    assert [plan.segment_duration(s) for s in plan.segments] == [4.0, 4.0, 2.0]


def test_a_sliver_at_the_end_joins_the_last_segment() -> None:
    plan = _plan(8.1)  # 0.1 s = 2 frames < a tenth of a segment
    assert [s.frames for s in plan.segments] == [100, 102]


def test_chunks_first_small_then_chunk_seconds() -> None:
    plan = _plan(60.0)
    assert [(c.first_segment, c.segment_count) for c in plan.chunks] == [
        (0, 1), (1, 3), (4, 3), (7, 3), (10, 3), (13, 2),
    ]  # fmt: skip
    assert sum(c.segment_count for c in plan.chunks) == len(plan.segments) == 15
    assert plan.chunk_frames(plan.chunks[1]) == (100, 400)


@pytest.mark.parametrize(
    ("fps", "rate"),
    [
        (29.97, Fraction(30000, 1001)),
        (23.976, Fraction(24000, 1001)),
        (25.0, Fraction(25)),
        (24.9998, Fraction(25)),
        (120.0, Fraction(60)),
        (None, Fraction(30)),
        (float("nan"), Fraction(30)),
    ],
)
def test_constant_output_rate(fps: float | None, rate: Fraction) -> None:
    assert output_rate(fps) == rate


def test_ntsc_boundaries_land_on_frames() -> None:
    plan = _plan(10.0, fps=29.97)
    assert [s.start_frame for s in plan.segments] == [0, 120, 240]  # round(4 * 29.97)
    assert plan.segment_duration(plan.segments[0]) == pytest.approx(120 * 1001 / 30000)


def test_media_playlist_is_vod_with_exact_durations() -> None:
    text = media_playlist(_plan(10.0), "240p")
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="segment/240p_init.mp4"',
        "#EXTINF:4.000000,",
        "segment/240p_00000.m4s",
        "#EXTINF:4.000000,",
        "segment/240p_00001.m4s",
        "#EXTINF:2.000000,",
        "segment/240p_00002.m4s",
        "#EXT-X-ENDLIST",
    ]


def test_a_plan_stored_before_cmaf_keeps_its_mpeg_ts_playlists() -> None:
    """ADR 0063: a plan without ``packaging`` (stored before) is MPEG-TS, as its segments."""
    raw = json.loads(_plan(10.0, packaging="ts").to_json())
    del raw["packaging"]
    old = SegmentPlan.from_json(json.dumps(raw).encode())
    assert old.packaging == "ts" and not old.cmaf and old.version == 1
    assert old.start_segments()[0] == "240p_00000.ts"
    text = media_playlist(old, "240p")
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXTINF:4.000000,",
        "segment/240p_00000.ts",
        "#EXTINF:4.000000,",
        "segment/240p_00001.ts",
        "#EXTINF:2.000000,",
        "segment/240p_00002.ts",
        "#EXT-X-ENDLIST",
    ]


def test_master_names_one_audio_rendition_every_variant_uses() -> None:
    lines = master_playlist(_plan(10.0)).splitlines()
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",DEFAULT=YES,AUTOSELECT=YES,'
        'CHANNELS="2",URI="audio.m3u8"'
    ]
    (inf,) = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert "BANDWIDTH=500000," in inf and "AVERAGE-BANDWIDTH=496000" in inf
    assert 'AUDIO="audio"' in inf and "RESOLUTION=426x240" in inf
    assert lines[-1] == "240p.m3u8"


def test_silent_source_has_no_audio_rendition() -> None:
    plan = make_plan(
        source_key="k",
        duration=3.0,
        fps=25,
        segment_seconds=1.0,
        chunk_seconds=2.0,
        first_chunk_seconds=1.0,
        renditions=(RUNG,),
        audio_bitrate=None,
    )
    assert "EXT-X-MEDIA" not in master_playlist(plan) and "AUDIO=" not in master_playlist(plan)
    assert plan.rendition_names() == ["240p"] and plan.planned_segments() == 3


def test_plan_round_trips_through_json() -> None:
    plan = _plan(61.3, fps=29.97)
    assert SegmentPlan.from_json(plan.to_json()) == plan


def test_playable_once_the_start_rung_and_the_audio_of_the_first_chunk_are_stored() -> None:
    # ADR 0062: the first chunk's other rungs are being encoded (a request takes its rung
    # next), every later chunk is produced ahead or on demand (ADR 0061).
    rung720 = PlannedRendition(
        "720p", 1280, 720, 3_000_000, 2_800_000, 3_000_000, 6_000_000, "avc1.64001f"
    )
    plan = _plan(30, first_chunk_seconds=8.0).__class__(
        **{**_plan(30, first_chunk_seconds=8.0).__dict__, "renditions": (rung720, RUNG)}
    )  # chunks: [0, 1], [2, 3, 4], [5, 6, 7]
    assert [plan.chunk_of(i).index for i in range(8)] == [0, 0, 1, 1, 1, 2, 2, 2]
    assert plan.chunk_of(8) is None
    assert [r.name for r in plan.rung_order()] == ["240p", "720p"]
    start = ["240p_00000.m4s", "240p_00001.m4s", "audio_00000.m4s", "audio_00001.m4s"]
    assert plan.start_segments() == start
    assert not plan.playable(set())
    assert not plan.playable(set(start[:3]))
    assert not plan.playable({"720p_00000.m4s", "720p_00001.m4s", *start[2:]})
    assert plan.playable(start)
    silent = plan.__class__(**{**plan.__dict__, "audio_bitrate": None})
    assert silent.start_segments() == start[:2] and silent.playable(start[:2])


def test_segment_names_parse_back() -> None:
    from vidhost.core.layout import parse_segment_name, segment_name

    assert parse_segment_name(segment_name("360p", 3)) == ("360p", 3)
    assert segment_name("360p", 3) == "360p_00003.m4s"
    assert parse_segment_name(segment_name("360p", 3, "ts")) == ("360p", 3)
    assert parse_segment_name(segment_name("audio", 12345)) == ("audio", 12345)
    for bad in ("360p.ts", "360p_3.ts", "_00001.ts", "360p_00001.m3u8", "360p_0000x.ts"):
        assert parse_segment_name(bad) is None


def test_delivery_names_are_segments_inits_or_nothing() -> None:
    from vidhost.core.layout import init_name, media_kind

    assert media_kind("720p_00003.m4s") == "segment" and media_kind("audio_00000.ts") == "segment"
    assert media_kind(init_name("720p")) == "init" == media_kind("audio_init.mp4")
    for bad in ("x_init.mp4.m4s", "_init.mp4", "a_b_init.mp4", "plan.json", "720p_00001.mp4"):
        assert media_kind(bad) is None, bad


def test_video_timescale_counts_whole_frames() -> None:
    for fps, scale, ticks in ((25, 12800, 512), (30, 15360, 512), (29.97, 30000, 1001)):
        plan = _plan(10.0, fps=fps)
        assert (plan.video_timescale, plan.frame_ticks) == (scale, ticks)
        assert plan.video_timescale >= 10_000


def test_audio_segments_start_on_the_aac_frame_the_muxer_cuts_on() -> None:
    # 24 s in 4 s segments at 48 kHz: boundaries at 187.5, 375, 562.5 ... AAC frames
    plan = _plan(24.0)
    assert plan.audio_frame_starts() == [0, 188, 375, 563, 750, 938]
    assert plan.audio_frames() == 1126  # 1125 frames of audio and the encoder's priming


def test_opening_segments_are_short_and_each_its_own_chunk() -> None:
    """ADR 0063: 1, 1, 2 s first, so a player's first segment of any rung is made at once."""
    plan = _plan(60.0, opening=(1.0, 1.0, 2.0))
    lengths = [plan.segment_duration(s) for s in plan.segments]
    assert lengths == [1.0, 1.0, 2.0] + [4.0] * 14
    assert [(c.first_segment, c.segment_count) for c in plan.chunks] == [
        (0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (6, 3), (9, 3), (12, 3), (15, 2),
    ]  # fmt: skip  # after the opening: 4, 8, then 12 s (each at most twice the last)
    assert plan.start_segments() == ["240p_00000.m4s", "audio_00000.m4s"]
    text = media_playlist(plan, "240p")
    assert "#EXT-X-TARGETDURATION:4" in text and "#EXTINF:1.000000," in text
    # at 1 s segments the opening is left out; a sliver at the end still folds
    assert _plan(5.0, segment_seconds=1.0, opening=(1.0, 1.0, 2.0)).segments == (
        _plan(5.0, segment_seconds=1.0).segments
    )
    with pytest.raises(ValueError):
        _plan(5.0, opening=(0.0,))


# --- audio-only plans (ADR 0066) -------------------------------------------------------------


def _audio_only(duration: float) -> SegmentPlan:
    return make_plan(
        source_key="videos/a/source",
        duration=duration,
        fps=float(AUDIO_ONLY_RATE),
        segment_seconds=4.0,
        chunk_seconds=12.0,
        first_chunk_seconds=4.0,
        renditions=(),
        audio_bitrate=128_000,
    )


def test_an_audio_only_plan_sits_on_aac_frames() -> None:
    plan = _audio_only(14.3)
    assert plan.audio_only and plan.has_audio and plan.renditions == ()
    assert plan.fps == Fraction(375, 8)  # 48000 / 1024: one "frame" is one AAC frame
    assert abs(plan.seconds(plan.total_frames) - 14.3) <= 0.5 * 1024 / 48_000
    starts = plan.audio_frame_starts()
    assert starts == [s.start_frame for s in plan.segments]  # boundaries on AAC frames
    assert plan.start_segments() == ["audio_00000.m4s"]
    assert plan.rendition_names() == ["audio"]
    assert plan.planned_segments() == len(plan.segments)
    assert plan.stored_segments(set(), audio_done=True) == len(plan.segments)


def test_the_audio_only_master_has_one_variant_without_resolution() -> None:
    master = master_playlist(_audio_only(10.0))
    assert master.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=140800,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"',
        "audio.m3u8",
    ]


def test_the_audio_only_mpd_has_the_audio_set_alone() -> None:
    mpd = dash_manifest(_audio_only(10.0))
    assert 'contentType="video"' not in mpd
    assert mpd.count("<AdaptationSet") == 1 and 'Representation id="audio"' in mpd


def test_a_plan_needs_a_rung_or_the_audio() -> None:
    with pytest.raises(ValueError):
        make_plan(
            source_key="k",
            duration=5.0,
            fps=25,
            segment_seconds=4.0,
            chunk_seconds=12.0,
            first_chunk_seconds=4.0,
            renditions=(),
            audio_bitrate=None,
        )


def test_an_audio_only_plan_round_trips_through_json() -> None:
    plan = _audio_only(7.5)
    again = SegmentPlan.from_json(plan.to_json())
    assert again == plan and again.audio_only


def test_the_mpd_advertises_the_measured_peaks_once_the_ladder_is_measured() -> None:
    plan = _plan(10.0)
    planned = dash_manifest(plan)
    assert f'<Representation id="240p" bandwidth="{RUNG.max_bitrate}"' in planned
    assert '<Representation id="audio" bandwidth="96000"' in planned
    measured = {"240p": Rates(average=310_000, peak=455_000), "audio": Rates(129_000, 131_000)}
    mpd = dash_manifest(plan, measured=measured)
    assert '<Representation id="240p" bandwidth="455000"' in mpd
    assert '<Representation id="audio" bandwidth="131000"' in mpd
    # only the bandwidths change: the timelines and templates are the planned ones
    strip = r'bandwidth="\d+"'
    assert re.sub(strip, "", mpd) == re.sub(strip, "", planned)
