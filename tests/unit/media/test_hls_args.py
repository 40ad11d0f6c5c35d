from __future__ import annotations

import os

import pytest

from vidhost.media.hls import (
    build_hls_command,
    build_poster_command,
    codecs_string,
    h264_level,
    keyframe_interval,
    var_stream_map,
)
from vidhost.media.ladder import select_ladder

LADDER = select_ladder(1280, 720)  # 720p, 480p, 360p, 240p


def value_after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def values_after(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def build(**kwargs: object) -> list[str]:
    options: dict[str, object] = {"has_audio": True, "fps": 25.0}
    options.update(kwargs)
    return build_hls_command("ffmpeg", "in.mp4", "/out", LADDER, **options)  # type: ignore[arg-type]


def test_single_decode_with_split_and_scale_per_rung() -> None:
    args = build()
    assert args[0] == "ffmpeg"
    assert values_after(args, "-i") == ["in.mp4"]
    graph = value_after(args, "-filter_complex")
    assert graph.startswith("[0:v:0]split=4[s0][s1][s2][s3];")
    assert "[s0]scale=1280:720,setsar=1[v0]" in graph
    assert "[s3]scale=426:240,setsar=1[v3]" in graph
    assert values_after(args, "-map")[:4] == ["[v0]", "[v1]", "[v2]", "[v3]"]
    assert "-noautorotate" not in args


def test_per_rung_video_rates_and_x264_settings() -> None:
    args = build()
    for i, rung in enumerate(LADDER):
        assert value_after(args, f"-c:v:{i}") == "libx264"
        assert value_after(args, f"-b:v:{i}") == str(rung.video_bitrate)
        assert value_after(args, f"-maxrate:v:{i}") == str(rung.max_bitrate)
        assert value_after(args, f"-bufsize:v:{i}") == str(rung.buffer_size)
    assert value_after(args, "-profile:v") == "high"
    assert value_after(args, "-pix_fmt") == "yuv420p"
    assert value_after(args, "-preset") == "veryfast"


def test_audio_mapped_once_per_variant() -> None:
    args = build(has_audio=True)
    assert values_after(args, "-map").count("0:a:0") == len(LADDER)
    for i, rung in enumerate(LADDER):
        assert value_after(args, f"-c:a:{i}") == "aac"
        assert value_after(args, f"-b:a:{i}") == str(rung.audio_bitrate)
    assert value_after(args, "-var_stream_map") == (
        "v:0,a:0,name:720p v:1,a:1,name:480p v:2,a:2,name:360p v:3,a:3,name:240p"
    )


def test_no_audio_mapping_without_audio() -> None:
    args = build(has_audio=False)
    assert not any(a.startswith("0:a") for a in args)
    assert not any(a.startswith(("-c:a", "-b:a")) for a in args)
    assert value_after(args, "-var_stream_map") == (
        "v:0,name:720p v:1,name:480p v:2,name:360p v:3,name:240p"
    )
    assert var_stream_map(LADDER[:1], has_audio=False) == "v:0,name:720p"


def test_keyframes_aligned_to_segments() -> None:
    args = build(fps=29.97, segment_seconds=2.0)
    assert value_after(args, "-force_key_frames") == "expr:gte(t,n_forced*2)"
    assert value_after(args, "-g") == "60"
    assert value_after(args, "-keyint_min") == "60"
    assert value_after(args, "-sc_threshold") == "0"
    assert value_after(args, "-hls_time") == "2"
    fractional = build(segment_seconds=2.5)
    assert value_after(fractional, "-force_key_frames") == "expr:gte(t,n_forced*2.5)"


def test_keyframe_interval_falls_back_when_fps_unknown() -> None:
    assert keyframe_interval(25.0, 4.0) == 100
    assert keyframe_interval(0.0, 4.0) == 120
    assert keyframe_interval(float("nan"), 2.0) == 60


def test_hls_muxer_options_and_output_names() -> None:
    args = build(master_name="index.m3u8", threads=2, preset="medium")
    assert value_after(args, "-f") == "hls"
    assert value_after(args, "-hls_playlist_type") == "vod"
    assert value_after(args, "-hls_flags") == "independent_segments"
    assert value_after(args, "-hls_segment_type") == "mpegts"
    assert value_after(args, "-hls_segment_filename") == os.path.join("/out", "%v_%05d.ts")
    assert value_after(args, "-master_pl_name") == "index.m3u8"
    assert value_after(args, "-threads") == "2"
    assert value_after(args, "-preset") == "medium"
    assert value_after(args, "-progress") == "pipe:1"
    assert "-nostats" in args and "-y" in args
    assert args[-1] == os.path.join("/out", "%v.m3u8")


def test_rejects_bad_ladders() -> None:
    with pytest.raises(ValueError):
        build_hls_command("ffmpeg", "in.mp4", "/out", [], has_audio=True, fps=25)
    with pytest.raises(ValueError):
        build_hls_command("ffmpeg", "in.mp4", "/out", [LADDER[0]] * 2, has_audio=True, fps=25)


def test_poster_command_seeks_before_input() -> None:
    args = build_poster_command("ffmpeg", "in.mp4", "/out/poster.jpg", at_seconds=1.5, width=640)
    assert args.index("-ss") < args.index("-i")
    assert value_after(args, "-ss") == "1.5"
    assert value_after(args, "-frames:v") == "1"
    assert value_after(args, "-q:v") == "3"
    assert value_after(args, "-vf") == "scale=640:-2"
    assert args[-1] == "/out/poster.jpg"
    no_scale = build_poster_command("ffmpeg", "in.mp4", "p.jpg", at_seconds=0)
    assert "-vf" not in no_scale
    assert value_after(no_scale, "-ss") == "0"


def test_codecs_and_levels() -> None:
    ladder = select_ladder(1920, 1080)
    assert codecs_string(ladder[0], has_audio=True) == "avc1.640028,mp4a.40.2"
    assert codecs_string(ladder[0], has_audio=False) == "avc1.640028"
    assert h264_level(1280, 720, 30) == 31
    assert h264_level(1920, 1080, 60) == 42
    assert h264_level(854, 480, 25) == 30
    assert h264_level(854, 480, 30) == 31
