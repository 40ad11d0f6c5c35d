"""Each rung's rate control on the chunk command line (ADR 0046)."""

from __future__ import annotations

from fractions import Fraction

from vidhost.core.quality import capped_encoding, fixed_encoding
from vidhost.core.segments import PlannedRendition
from vidhost.media.chunks import build_chunk_command, rate_args
from vidhost.media.quality_probe import (
    build_probe_encode_command,
    build_vmaf_command,
    title_samples,
)

RUNG = PlannedRendition("720p", 1280, 720, 4_608_000, 2_800_000, 4_480_000, 6_720_000, "avc1")


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_a_rung_without_an_encoding_keeps_its_planned_rates() -> None:
    assert rate_args(None, RUNG) == [
        "-b:v", "2800000", "-maxrate:v", "4480000", "-bufsize:v", "6720000",
    ]  # fmt: skip


def test_capped_crf_and_fixed_rates() -> None:
    capped = rate_args(capped_encoding(2_800_000, 21.5), RUNG)
    assert capped == ["-crf", "21.5", "-maxrate:v", "4480000", "-bufsize:v", "4480000"]
    fixed = rate_args(fixed_encoding(2_800_000), RUNG)
    assert fixed == ["-b:v", "2800000", "-maxrate:v", "2996000", "-bufsize:v", "4200000"]


def test_the_chunk_command_takes_each_rungs_encoding_and_the_tiers_preset() -> None:
    low = PlannedRendition("360p", 640, 360, 1_408_000, 800_000, 1_280_000, 1_920_000, "avc1")
    args = build_chunk_command(
        "ffmpeg",
        ["-i", "src.mp4"],
        "/tmp/out",
        [RUNG, low],
        fps=Fraction(25),
        start_frame=50,
        end_frame=100,
        segment_frames=[25],
        first_segment=2,
        ts_offset=10.0,
        preset="medium",
        encodings={"720p": capped_encoding(2_800_000, 19.0)},
        stitchable=True,
    )
    first, second = (i for i, a in enumerate(args) if a == "libx264")
    one, two = args[first:second], args[second:]
    assert _value(one, "-crf") == "19" and "-b:v" not in one
    assert _value(two, "-b:v") == "800000" and "-crf" not in two
    assert _value(one, "-preset") == _value(two, "-preset") == "medium"
    assert _value(one, "-x264-params") == _value(two, "-x264-params") == "stitchable=1"
    plain = build_chunk_command(
        "ffmpeg", ["-i", "s"], "/o", [RUNG], fps=Fraction(25), start_frame=0,
        end_frame=25, segment_frames=[], first_segment=0, ts_offset=10.0,
    )  # fmt: skip
    assert "-x264-params" not in plain and "-crf" not in plain


def test_the_title_samples() -> None:
    assert title_samples(5.0) == [(1.5, 2.0)]  # one, in the middle
    assert title_samples(0.5) == [(0.0, 0.5)]  # a short title: all of it
    assert title_samples(40.0) == [(9.0, 2.0), (29.0, 2.0)]  # one per 20 s
    assert len(title_samples(3600.0)) == 3  # at most three
    assert title_samples(3600.0)[0] == (599.0, 2.0)


def test_the_probe_encodes_each_sample_once_at_the_top_rungs_size() -> None:
    from pathlib import Path

    cmd = build_probe_encode_command(
        "ffmpeg", ["-i", "s.mp4"], Path("/t"), samples=[(1.0, 1.5), (9.0, 1.5)],
        width=1920, height=1080, crfs=(20.0, 28.0), preset="veryfast",
        fixed=fixed_encoding(5_000_000), cap=capped_encoding(5_000_000, 23.0),
    )  # fmt: skip
    assert cmd.count("-i") == 2 and cmd.count("-ss") == 2
    graph = _value(cmd, "-filter_complex")
    assert graph.startswith("[0:v:0][1:v:0]concat=n=2:v=1:a=0,scale=1920:1080,")
    assert graph.endswith("split=4[p0][p1][p2][p3]")
    assert _value(cmd, "-crf") == "20"
    assert _value(cmd, "-maxrate") == "8000000"  # the CRF probes under the top rung's cap
    fixed = cmd[cmd.index("[p3]") :]
    assert _value(fixed, "-b:v") == "5000000" and _value(fixed, "-maxrate") == "5350000"
    assert cmd[-1] == "/t/fixed.mp4"


def test_the_vmaf_command() -> None:
    from pathlib import Path

    cmd = build_vmaf_command("ffmpeg", [Path("a.mp4"), Path("b.mp4")], Path("r.nut"),
                             [Path("/t/a:1.json"), Path("/t/b.json")])  # fmt: skip
    graph = _value(cmd, "-filter_complex")
    assert graph.startswith("[2:v]split=2[r0][r1];[0:v][r0]libvmaf=")
    assert "log_path=/t/a\\:1.json" in graph and "n_subsample=3" in graph
