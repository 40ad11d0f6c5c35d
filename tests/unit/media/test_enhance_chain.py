from __future__ import annotations

import pytest

from vidhost.media.enhance import (
    PRESETS,
    EnhanceOptions,
    EnhanceSpecError,
    Loudness,
    audio_filters,
    detect_filters,
    enhance_command,
    parse_spec,
    video_filters,
)
from vidhost.media.loudness import parse_loudnorm_report


def test_presets_parse_and_validate() -> None:
    for name in PRESETS:
        assert parse_spec(name) == PRESETS[name]
    assert parse_spec(" Default ") == PRESETS["default"]


def test_parameters_override_the_preset() -> None:
    opts = parse_spec("default:sharpen=1.2, denoise=nlmeans,loudnorm=off,loudness=-16")
    assert opts.sharpen == 1.2
    assert opts.denoise == "nlmeans"
    assert opts.loudnorm is False
    assert opts.loudness == -16.0
    assert opts.levels is True  # untouched preset value


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("bogus", "unknown_preset"),
        ("default:colour=1", "invalid_enhance_option"),
        ("default:sharpen", "invalid_enhance_option"),
        ("default:sharpen=lots", "invalid_enhance_option"),
        ("default:sharpen=9", "invalid_enhance_option"),
        ("default:denoise=blur", "invalid_enhance_option"),
        ("default:loudnorm=maybe", "invalid_enhance_option"),
        ("default:deinterlace=sometimes", "invalid_enhance_option"),
    ],
)
def test_bad_specs_have_stable_codes(spec: str, code: str) -> None:
    with pytest.raises(EnhanceSpecError) as info:
        parse_spec(spec)
    assert info.value.code == code


def test_chain_order_and_filters() -> None:
    opts = parse_spec("full")
    chain = video_filters(opts, interlaced=True, transforms="/tmp/t.trf").split(",")
    names = [f.split("=")[0] for f in chain]
    assert names == [
        "bwdif",
        "vidstabtransform",
        "hqdn3d",
        "normalize",
        "unsharp",
        "format",
    ]
    assert chain[0] == "bwdif=mode=send_frame:parity=auto:deint=all"
    assert "hqdn3d=4:3:6:4.5" in chain
    assert chain[-1] == "format=yuv420p"


def test_deinterlace_auto_only_for_interlaced_sources() -> None:
    opts = EnhanceOptions()
    assert "bwdif" not in video_filters(opts, interlaced=False)
    assert "bwdif" in video_filters(opts, interlaced=True)
    assert "bwdif" in video_filters(EnhanceOptions(deinterlace="always"), interlaced=False)
    assert "bwdif" not in video_filters(EnhanceOptions(deinterlace="never"), interlaced=True)


def test_nlmeans_and_sharpen_parameters() -> None:
    chain = video_filters(parse_spec("denoise:denoise_strength=8"), interlaced=False)
    assert chain.startswith("nlmeans=s=4:")
    assert video_filters(parse_spec("sharpen:sharpen=0.7"), interlaced=False) == (
        "unsharp=5:5:0.7:5:5:0,format=yuv420p"
    )


def test_stabilisation_needs_the_detect_pass() -> None:
    opts = parse_spec("stabilize")
    with pytest.raises(ValueError):
        video_filters(opts, interlaced=False)
    detect = detect_filters(opts, interlaced=False, transforms="/tmp/a b:c.trf")
    assert detect.startswith("vidstabdetect=")
    assert "result='/tmp/a b\\:c.trf'" in detect


def test_loudnorm_is_linear_with_a_measurement() -> None:
    opts = parse_spec("loudnorm")
    assert audio_filters(EnhanceOptions(), None) is None
    assert audio_filters(opts, None) == "loudnorm=I=-23:TP=-1:LRA=11,aresample=48000"
    measured = Loudness(-8.5, -0.4, 3.2, -18.6, 0.3)
    af = audio_filters(opts, measured)
    assert af is not None
    assert "measured_I=-8.5:measured_TP=-0.4:measured_LRA=3.2" in af
    assert ":linear=true" in af


def test_loudnorm_report_parsing() -> None:
    stderr = """[Parsed_loudnorm_0 @ 0x1]
{
	"input_i" : "-7.62",
	"input_tp" : "-4.50",
	"input_lra" : "0.00",
	"input_thresh" : "-17.62",
	"output_i" : "-23.0",
	"target_offset" : "0.01"
}
"""
    assert parse_loudnorm_report(stderr) == Loudness(-7.62, -4.5, 0.0, -17.62, 0.01)
    silent = stderr.replace('"-7.62"', '"-inf"')
    assert parse_loudnorm_report(silent) is None
    assert parse_loudnorm_report("no json here") is None


def test_enhance_command_shape() -> None:
    cmd = enhance_command(
        "ffmpeg", "in.mov", "out.mov", vf="format=yuv420p", af=None, has_audio=True,
        container="mov", x264_preset="ultrafast", crf=20,
    )  # fmt: skip
    assert cmd[cmd.index("-vf") + 1] == "format=yuv420p"
    assert "-af" not in cmd
    assert cmd[cmd.index("-crf") + 1] == "20"
    assert "+faststart" in cmd
    assert cmd[-4:] == ["out.mov", "-progress", "pipe:1", "-nostats"]
    mkv = enhance_command(
        "ffmpeg", "a", "b.mkv", vf="x", af="y", has_audio=False, container="matroska"
    )
    assert "-movflags" not in mkv and "-af" not in mkv and "-an" not in mkv
