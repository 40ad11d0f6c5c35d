"""Reading libvmaf's JSON log and the VMAF command line (ADR 0045).

``RECORDED`` is the start of a log the bundled ffmpeg (libvmaf 86da14d) wrote scoring a
1080p Mandelbrot rung with ``n_subsample=3`` (only the scored frames are listed), cut to
eight frames and two features per frame."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from vidhost.core.segments import PlannedRendition, SegmentPlan, make_plan
from vidhost.media.errors import MediaError
from vidhost.media.vmaf import MODEL, build_vmaf_command, frame_scores, percentile, pool
from vidhost.processing.quality import sample_windows

SCORES = [92.318428, 91.394156, 90.45978, 83.864268, 85.140063, 82.212334, 85.495792, 78.379929]
RECORDED = json.dumps(
    {
        "version": "86da14d",
        "fps": 11.62,
        "frames": [
            {
                "frameNum": 3 * i,
                "metrics": {"integer_adm2": 0.78, "integer_motion2": 0.0, "vmaf": score},
            }
            for i, score in enumerate(SCORES)
        ],
        "pooled_metrics": {"vmaf": {"min": 78.379929, "max": 92.318428, "mean": 86.158094}},
    }
)


def test_scores_are_read_per_scored_frame() -> None:
    assert frame_scores(RECORDED) == SCORES
    assert frame_scores(RECORDED.encode()) == SCORES


def test_pooled_mean_and_fifth_percentile() -> None:
    score = pool(SCORES)
    assert score.frames == 8
    assert score.mean == pytest.approx(86.158, abs=1e-3)  # libvmaf's own pooled mean
    # numpy's linear percentile: rank 0.35 between 78.379929 and 82.212334
    assert score.p5 == pytest.approx(78.379929 + 0.35 * (82.212334 - 78.379929), abs=1e-3)
    assert score.p5 <= score.mean


def test_percentile_ends() -> None:
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert percentile([5.0], 5) == 5.0


@pytest.mark.parametrize(
    "log",
    ["not json", "{}", '{"frames": [{"metrics": {}}]}', '{"frames": [{"metrics": {"vmaf": NaN}}]}'],
)
def test_an_unreadable_log_is_a_media_error(log: str) -> None:
    with pytest.raises(MediaError):
        frame_scores(log)


def test_no_scored_frame_is_a_media_error() -> None:
    with pytest.raises(MediaError):
        pool([])


def test_one_decode_of_the_source_window_for_every_rung() -> None:
    args = build_vmaf_command(
        "ffmpeg",
        ["-i", "src.mp4"],
        ["a.mp4", "b.mp4"],
        ["/tmp/a.json", "/tmp/b.json"],
        fps=Fraction(30),
        start_frame=120,
        end_frame=240,
        width=1920,
        height=1080,
        n_subsample=3,
    )
    graph = args[args.index("-filter_complex") + 1]
    assert args[args.index("-ss") + 1] == "3"  # 4 s, less a second of preroll
    assert "fps=30/1,trim=start_pts=120:end_pts=240,setpts=PTS-STARTPTS" in graph
    assert graph.count("split=2") == 1 and graph.count("libvmaf=") == 2
    assert graph.count("scale=1920:1080:flags=bicubic") == 3
    assert f"model={MODEL}" in graph and "n_subsample=3" in graph
    assert "log_path=/tmp/b.json" in graph
    assert args.count("-i") == 3


def test_a_log_path_the_filter_graph_would_misread_is_refused() -> None:
    with pytest.raises(ValueError):
        build_vmaf_command(
            "ffmpeg", ["-i", "s"], ["a"], ["/tmp/a:b.json"],
            fps=Fraction(30), start_frame=0, end_frame=1, width=2, height=2,
        )  # fmt: skip


def test_windows_spread_over_the_video() -> None:
    rung = PlannedRendition("240p", 426, 240, 500_000, 400_000, 428_000, 600_000, "avc1.64000d")

    def plan(duration: float) -> SegmentPlan:
        return make_plan(
            source_key="k", duration=duration, fps=25, segment_seconds=4.0, chunk_seconds=12.0,
            first_chunk_seconds=4.0, renditions=(rung,), audio_bitrate=None,
        )  # fmt: skip

    assert sample_windows(plan(60.0), 3) == [2, 7, 12]  # 15 segments
    assert sample_windows(plan(8.0), 3) == [0, 1]
