"""Each rung's rate control on the chunk command line (ADR 0046)."""

from __future__ import annotations

from fractions import Fraction

from vidhost.core.quality import capped_encoding, fixed_encoding
from vidhost.core.segments import PlannedRendition
from vidhost.media.chunks import build_chunk_command, rate_args
from vidhost.media.quality_probe import build_vmaf_command, probe_size

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


def test_the_probe_size_and_the_vmaf_command() -> None:
    assert probe_size(1920, 1080) == (640, 360)
    assert probe_size(1080, 1920) == (360, 640)
    assert probe_size(320, 180) == (320, 180)
    assert probe_size(321, 181) == (320, 180)
    from pathlib import Path

    cmd = build_vmaf_command("ffmpeg", [Path("a.mp4"), Path("b.mp4")], Path("r.nut"),
                             [Path("/t/a:1.json"), Path("/t/b.json")])  # fmt: skip
    graph = _value(cmd, "-filter_complex")
    assert graph.startswith("[2:v]split=2[r0][r1];[0:v][r0]libvmaf=")
    assert "log_path=/t/a\\:1.json" in graph and "n_subsample=2" in graph
