"""vidhost.media against the real bundled ffmpeg and PyAV, on tiny generated clips."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from av.video.frame import VideoFrame

from tests.clips import AUDIO_FORMATS, make_audio, make_clip
from vidhost.core.segments import PlannedRendition
from vidhost.media import cmaf
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.chunks import ChunkPoster, build_audio_command, build_chunk_command
from vidhost.media.errors import MediaError
from vidhost.media.hls import build_hls_command, build_poster_command
from vidhost.media.ladder import Rung, select_ladder
from vidhost.media.probe import MediaInfo, MediaLimits, probe
from vidhost.media.runner import run_ffmpeg

FFMPEG = ffmpeg_path()
LAVFI = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"]


# --------------------------------------------------------------------------- helpers


def media_lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def stream_inf(master: str) -> dict[str, str]:
    """URI -> its #EXT-X-STREAM-INF attribute text."""
    lines = master.splitlines()
    return {
        lines[i + 1]: line.split(":", 1)[1]
        for i, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    }


def first_frame(path: Path) -> VideoFrame:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return frame
    raise AssertionError(f"no frame in {path}")


def transcode(
    source: Path, out_dir: Path, *, segment_seconds: float = 4.0
) -> tuple[MediaInfo, list[Rung], list[float]]:
    info = probe(source)
    assert info.video is not None
    ladder = select_ladder(info.video.display_width, info.video.display_height)
    out_dir.mkdir()
    cmd = build_hls_command(
        FFMPEG,
        str(source),
        str(out_dir),
        ladder,
        has_audio=info.audio is not None,
        fps=info.video.fps,
        segment_seconds=segment_seconds,
    )
    progress: list[float] = []
    run_ffmpeg(cmd, duration=info.duration, on_progress=progress.append, timeout=60)
    return info, ladder, progress


@pytest.fixture(scope="module")
def ladder_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full ladder transcode of a 640x360, 3 s clip with 1 s segments, shared by tests."""
    base = tmp_path_factory.mktemp("ladder")
    clip = make_clip(base / "src.mp4", duration=3.0, width=640, height=360)
    info, ladder, progress = transcode(clip, base / "hls", segment_seconds=1.0)
    return {"out": base / "hls", "info": info, "ladder": ladder, "progress": progress}


# --------------------------------------------------------------------------- probe


def test_probe_reports_video_and_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", duration=2.0, width=320, height=240, fps=25)
    info = probe(clip)
    assert info.format_name.startswith("mov,mp4")
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.size_bytes == clip.stat().st_size
    assert info.bit_rate and info.bit_rate > 0
    video = info.video
    assert video is not None
    assert (video.codec, video.width, video.height) == ("h264", 320, 240)
    assert (video.display_width, video.display_height, video.rotation) == (320, 240, 0)
    assert video.fps == pytest.approx(25.0)
    assert video.frame_count == 50
    assert video.pix_fmt == "yuv420p"
    assert video.field_order == "progressive"
    assert info.audio is not None
    assert info.audio.codec == "aac"
    assert info.audio.sample_rate == 48000
    assert info.audio.channels == 1
    assert "major_brand" in info.tags
    raw = json.loads(json.dumps(info.raw))
    assert raw["format"]["size"] == info.size_bytes
    assert [s["codec_type"] for s in raw["streams"]] == ["video", "audio"]
    assert raw["streams"][0]["avg_frame_rate"] == "25/1"
    assert raw["streams"][0]["rotation"] == 0


def test_probe_without_audio(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "silent.mp4", audio=False, color="red"))
    assert info.video is not None
    assert info.audio is None


@pytest.mark.parametrize("ext", [".ts", ".mkv", ".mov"])
def test_probe_other_containers(tmp_path: Path, ext: str) -> None:
    info = probe(make_clip(tmp_path / f"clip{ext}", duration=1.0, width=160, height=90))
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == (160, 90)
    assert info.duration == pytest.approx(1.0, abs=0.1)


def test_probe_interlaced_field_order(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "i.mp4", duration=1.0, interlaced=True, audio=False))
    assert info.video is not None
    assert info.video.field_order == "tt"


def test_probe_rotated_phone_clip_swaps_display_dims(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "phone.mp4", width=320, height=240, rotate=90))
    video = info.video
    assert video is not None
    assert (video.width, video.height) == (320, 240)
    assert video.rotation == 90
    assert (video.display_width, video.display_height) == (240, 320)
    assert info.raw["streams"][0]["rotation"] == 90


@pytest.mark.parametrize(("rotate", "display"), [(180, (320, 240)), (270, (240, 320))])
def test_probe_other_rotations(tmp_path: Path, rotate: int, display: tuple[int, int]) -> None:
    video = probe(make_clip(tmp_path / "r.mp4", duration=0.5, rotate=rotate, audio=False)).video
    assert video is not None
    assert video.rotation == rotate
    assert (video.display_width, video.display_height) == display


def test_probe_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError) as exc:
        probe(empty)
    assert exc.value.code == "empty_file"


def test_probe_text_file_renamed_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is definitely not a video\n" * 20)
    with pytest.raises(MediaError) as exc:
        probe(fake)
    assert exc.value.code == "not_a_video"


def test_probe_audio_only_has_no_video_stream(tmp_path: Path) -> None:
    audio = tmp_path / "tone.mp4"
    subprocess.run(
        [*LAVFI, "sine=d=1", "-c:a", "aac", "-y", str(audio)],
        check=True,
    )
    info = probe(audio, limits=MediaLimits())
    assert info.video is None and info.audio is not None and info.audio.codec == "aac"
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert [s["codec_type"] for s in info.raw["streams"]] == ["audio"]


@pytest.mark.parametrize("ext", sorted(AUDIO_FORMATS))
def test_probe_every_audio_format(tmp_path: Path, ext: str) -> None:
    """ADR 0066: M4A, MP3, WAV, FLAC and Opus files are audio-only sources, each read by an
    allowed demuxer (the probe is pinned to it afterwards)."""
    path = make_audio(tmp_path / f"tone{ext}", duration=3.0)
    info = probe(path, limits=MediaLimits())
    assert info.video is None and info.audio is not None
    assert info.duration == pytest.approx(3.0, abs=0.05)
    again = probe(path, format_name=info.format_name)
    assert again.audio == info.audio


def test_probe_audio_over_the_duration_limit_is_refused(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "long.mp3", duration=6.0)
    with pytest.raises(MediaError) as exc:
        probe(path, limits=MediaLimits(max_duration=5.0))
    assert exc.value.code == "duration_too_long"


def test_probe_neither_video_nor_audio_is_not_a_video(tmp_path: Path) -> None:
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    mkv = tmp_path / "subs.mkv"
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-i", str(srt), str(mkv)], check=True)
    with pytest.raises(MediaError) as exc:
        probe(mkv)
    assert exc.value.code == "not_a_video"


def test_probe_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nope.mp4")


def test_probe_truncated_mp4_with_index_at_end_is_not_a_video(tmp_path: Path) -> None:
    # ffmpeg (like most cameras) writes the moov index after the media data, so the first
    # 30 % of the file has no index at all: the container cannot be opened -> not_a_video.
    data = make_clip(tmp_path / "full.mp4", duration=3.0).read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: int(len(data) * 0.3)])
    with pytest.raises(MediaError) as exc:
        probe(truncated)
    assert exc.value.code == "not_a_video"


def test_probe_truncated_faststart_mp4_is_corrupt(tmp_path: Path) -> None:
    # With the index first (faststart), the file opens and its first frames decode, but the
    # sample table points past EOF -> corrupt_media; decode_check=False skips that check.
    full = make_clip(tmp_path / "full.mp4", duration=3.0, extra_args=["-movflags", "+faststart"])
    data = full.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: int(len(data) * 0.3)])
    with pytest.raises(MediaError) as exc:
        probe(truncated)
    assert exc.value.code == "corrupt_media"
    assert probe(truncated, decode_check=False).video is not None


def test_probe_undecodable_video_is_corrupt(tmp_path: Path) -> None:
    full = make_clip(tmp_path / "full.mp4", extra_args=["-movflags", "+faststart"])
    data = full.read_bytes()
    start = data.index(b"mdat") + 4
    rng = np.random.default_rng(1)
    garbage = rng.integers(0, 256, len(data) - start, dtype=np.uint8).tobytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[:start] + garbage)
    with pytest.raises(MediaError) as exc:
        probe(broken)
    assert exc.value.code == "corrupt_media"
    assert probe(broken, decode_check=False).video is not None


def test_probe_accepts_transport_stream_cut_mid_gop(tmp_path: Path) -> None:
    # Packets before the first keyframe fail to decode (no SPS/PPS yet); that is not corruption.
    full = make_clip(tmp_path / "long_gop.ts", duration=6.0, audio=False, extra_args=["-g", "100"])
    data = full.read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(data[int(len(data) * 0.1) // 188 * 188 :])
    info = probe(cut)
    assert info.video is not None and info.video.width == 320


def test_probe_still_image_is_not_a_video(tmp_path: Path) -> None:
    image = tmp_path / "photo.mp4"
    subprocess.run(
        [*LAVFI, "testsrc2=s=64x64", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(image)],
        check=True,
    )
    with pytest.raises(MediaError) as exc:
        probe(image)
    assert exc.value.code == "not_a_video"


# --------------------------------------------------------------------------- HLS ladder


def test_ladder_run_writes_master_variants_and_segments(ladder_run: dict[str, Any]) -> None:
    out: Path = ladder_run["out"]
    ladder: list[Rung] = ladder_run["ladder"]
    assert [r.name for r in ladder] == ["360p", "240p"]
    master = (out / "master.m3u8").read_text()
    attrs = stream_inf(master)
    assert list(attrs) == ["360p.m3u8", "240p.m3u8"]
    for rung in ladder:
        line = attrs[f"{rung.name}.m3u8"]
        assert "BANDWIDTH=" in line
        assert f"RESOLUTION={rung.width}x{rung.height}" in line
        assert 'CODECS="avc1.64' in line and "mp4a.40.2" in line
        playlist = (out / f"{rung.name}.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
        assert "#EXT-X-ENDLIST" in playlist
        segments = media_lines(playlist)
        assert segments == [f"{rung.name}_{i:05d}.ts" for i in range(3)]
        assert all((out / s).is_file() for s in segments)


def test_ladder_segments_decode_and_start_with_keyframes(ladder_run: dict[str, Any]) -> None:
    out: Path = ladder_run["out"]
    durations = {}
    for rung in ladder_run["ladder"]:
        playlist = (out / f"{rung.name}.m3u8").read_text()
        durations[rung.name] = [line for line in playlist.splitlines() if "#EXTINF" in line]
        total_frames = 0
        for segment in media_lines(playlist):
            with av.open(str(out / segment)) as container:
                assert len(container.streams.audio) == 1
                video = container.streams.video[0]
                packets = [p for p in container.demux(video) if p.size]
                assert packets[0].is_keyframe, f"{segment} does not start with a keyframe"
                frames = [f for p in packets for f in p.decode() if isinstance(f, VideoFrame)]
                frames += [f for f in video.codec_context.decode(None)]
                assert all((f.width, f.height) == (rung.width, rung.height) for f in frames)
                total_frames += len(frames)
        assert total_frames == 75
    # Keyframes at the same timestamps in every rendition -> identical segment durations.
    assert durations["360p"] == durations["240p"]


def test_ladder_progress_is_monotonic_and_ends_at_100(ladder_run: dict[str, Any]) -> None:
    progress: list[float] = ladder_run["progress"]
    assert progress, "no progress reported"
    assert progress == sorted(progress)
    assert progress[-1] == 100.0
    assert progress.count(100.0) == 1
    assert all(0.0 <= p <= 100.0 for p in progress)


def test_ladder_without_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "silent.mp4", duration=2.0, audio=False)
    _, ladder, progress = transcode(clip, tmp_path / "hls")
    master = (tmp_path / "hls" / "master.m3u8").read_text()
    for rung in ladder:
        line = stream_inf(master)[f"{rung.name}.m3u8"]
        assert 'CODECS="avc1.64' in line and "mp4a" not in line
        segment = tmp_path / "hls" / f"{rung.name}_00000.ts"
        with av.open(str(segment)) as container:
            assert len(container.streams.audio) == 0
            assert len(container.streams.video) == 1
    assert progress[-1] == 100.0


def test_rotated_phone_clip_is_transcoded_upright(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "phone.mp4", width=320, height=240, rotate=90, duration=1.0)
    _, ladder, _ = transcode(clip, tmp_path / "hls")
    assert [(r.name, r.width, r.height) for r in ladder] == [("240p", 240, 320)]
    assert "RESOLUTION=240x320" in (tmp_path / "hls" / "master.m3u8").read_text()

    source = first_frame(clip).to_ndarray(format="gray").astype(float)  # stored 320x240
    output = first_frame(tmp_path / "hls" / "240p_00000.ts").to_ndarray(format="gray")
    assert output.shape == (320, 240)
    clockwise = np.rot90(source, k=-1)
    counter_clockwise = np.rot90(source, k=1)
    error = np.abs(output - clockwise).mean()
    assert error < 12
    assert error * 3 < np.abs(output - counter_clockwise).mean()


# --------------------------------------------------------------------------- runner


def long_running_command() -> list[str]:
    return [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=64x64:r=10:d=120",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-nostats",
        "-",
    ]


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Records the processes run_ffmpeg starts."""
    procs: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = real_popen(*args, **kwargs)
        procs.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    return procs


def test_timeout_kills_ffmpeg(spawned: list[subprocess.Popen[bytes]]) -> None:
    started = time.monotonic()
    with pytest.raises(MediaError) as exc:
        run_ffmpeg(long_running_command(), duration=120.0, timeout=1.0)
    assert exc.value.code == "ffmpeg_timeout"
    assert time.monotonic() - started < 5
    assert len(spawned) == 1 and spawned[0].poll() is not None


def test_progress_callback_exception_cancels(spawned: list[subprocess.Popen[bytes]]) -> None:
    class Cancelled(Exception):
        pass

    def cancel(_: float) -> None:
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(long_running_command(), duration=120.0, on_progress=cancel, timeout=30)
    assert time.monotonic() - started < 5
    assert len(spawned) == 1 and spawned[0].poll() is not None


def test_on_tick_runs_on_a_clock_while_ffmpeg_reports_nothing_and_cancels_it(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    """A pass starved of CPU (nice 19 beside nice-0 work) reports its progress rarely; the
    watch of a background chunk still looks for players' requests every moment."""
    quiet = [*long_running_command()[:-1], "-stats_period", "30", "-"]  # progress every 30 s
    ticks: list[float] = []
    reports: list[float] = []

    class Asked(Exception):
        pass

    def tick() -> None:
        ticks.append(time.monotonic())
        if ticks[-1] - ticks[0] > 1.0:
            raise Asked

    started = time.monotonic()
    with pytest.raises(Asked):
        run_ffmpeg(quiet, duration=120.0, on_progress=reports.append, on_tick=tick, timeout=30)
    assert time.monotonic() - started < 5
    assert reports == [] and len(ticks) >= 5  # about every 0.1 s, with no report at all
    assert len(spawned) == 1 and spawned[0].poll() is not None


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_ffmpeg_killed_from_outside_is_an_interruption_a_crash_a_failure(
    spawned: list[subprocess.Popen[bytes]], sig: signal.Signals
) -> None:
    """ADR 0073: a kill -9 (OOM killer, operator) says nothing about the media; the task runs
    again. A crash stays ``ffmpeg_failed``."""

    def kill_once_running(_: float) -> None:
        if spawned and spawned[0].poll() is None:
            os.kill(spawned[0].pid, sig)

    with pytest.raises(MediaError) as exc:
        run_ffmpeg(long_running_command(), duration=120.0, on_progress=kill_once_running)
    expected = "ffmpeg_killed" if sig is signal.SIGKILL else "ffmpeg_failed"
    assert exc.value.code == expected, exc.value


def test_failure_reports_stderr_tail(tmp_path: Path) -> None:
    cmd = [FFMPEG, "-hide_banner", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"]
    with pytest.raises(MediaError) as exc:
        run_ffmpeg(cmd, duration=None)
    assert exc.value.code == "ffmpeg_failed"
    assert "missing.mp4" in exc.value.message


def test_missing_binary_is_ffmpeg_failed(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as exc:
        run_ffmpeg([str(tmp_path / "no-ffmpeg"), "-version"], duration=None)
    assert exc.value.code == "ffmpeg_failed"


def test_binary_override(tmp_path: Path) -> None:
    assert ffmpeg_path(FFMPEG) == FFMPEG
    with pytest.raises(FileNotFoundError):
        ffmpeg_path(str(tmp_path / "nope"))


# --------------------------------------------------------------------------- poster


def test_poster_is_an_upright_jpeg(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "phone.mp4", width=320, height=240, rotate=90, audio=False)
    poster = tmp_path / "poster.jpg"
    run_ffmpeg(build_poster_command(FFMPEG, str(clip), str(poster), at_seconds=1.0), duration=None)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    frame = first_frame(poster)
    assert (frame.width, frame.height) == (240, 320)

    scaled = tmp_path / "small.jpg"
    cmd = build_poster_command(FFMPEG, str(clip), str(scaled), at_seconds=0.5, width=120)
    run_ffmpeg(cmd, duration=None)
    frame = first_frame(scaled)
    assert (frame.width, frame.height) == (120, 160)


RUNG = PlannedRendition(
    name="240p",
    width=320,
    height=240,
    bandwidth=500_000,
    video_bitrate=400_000,
    max_bitrate=450_000,
    buffer_size=900_000,
    codecs="avc1.640015",
)


def chunk_command(
    clip: Path, out: Path, rungs: list[PlannedRendition], start: int, end: int, **kw: Any
) -> list[str]:
    """``build_chunk_command`` for frames ``[start, end)`` of a 25 fps ``clip``, 1 s segments."""
    return build_chunk_command(
        FFMPEG,
        ["-i", str(clip)],
        str(out),
        rungs,
        fps=Fraction(25),
        start_frame=start,
        end_frame=end,
        segment_frames=list(range(25, end - start, 25)),
        first_segment=0,
        ts_offset=10.0,
        **kw,
    )


def test_a_chunk_pass_writes_the_poster_frame_from_its_own_decode(tmp_path: Path) -> None:
    """The first chunk's pass writes the poster (ADR 0062): the same upright picture the
    poster command takes from the source at that frame, and the rung's segments as well."""
    clip = make_clip(tmp_path / "phone.mp4", width=320, height=240, rotate=90, audio=False)
    rung = dataclasses.replace(RUNG, width=240, height=320)
    out = tmp_path / "chunk"
    out.mkdir()
    poster = ChunkPoster(frame=20, width=120, path=str(out / "poster.jpg"))
    cmd = chunk_command(clip, out, [rung], 0, 25, timescale=12_800, poster=poster)
    run_ffmpeg(cmd, duration=1.0)
    assert (out / "240p_00000.mp4").stat().st_size > 0
    alone = tmp_path / "alone.jpg"
    run_ffmpeg(
        build_poster_command(FFMPEG, str(clip), str(alone), at_seconds=20 / 25, width=120),
        duration=None,
    )
    ours, theirs = first_frame(Path(poster.path)), first_frame(alone)
    assert (ours.width, ours.height) == (theirs.width, theirs.height) == (120, 160)
    a = ours.to_ndarray(format="gray").astype(np.float64)
    b = theirs.to_ndarray(format="gray").astype(np.float64)
    mse = float(np.mean((a - b) ** 2))
    assert mse == 0 or 10 * np.log10(255**2 / mse) > 40  # the same frame, not a neighbour
    outside = ChunkPoster(frame=25, width=120, path=poster.path)
    with pytest.raises(ValueError, match="inside the chunk"):
        chunk_command(clip, out, [rung], 0, 25, poster=outside)


def test_the_init_segment_from_a_rungs_first_frame_is_the_one_every_chunk_writes(
    tmp_path: Path,
) -> None:
    """``inits``: a rung encoded for one frame gives the init segment its full chunks give
    (CMAF keeps the parameter sets in the init, so a player switching to the rung can take
    it before any chunk of it is encoded), whatever the chunk's length."""
    clip = make_clip(tmp_path / "src.mp4", width=320, height=240, duration=6.0)
    other = dataclasses.replace(RUNG, name="180p", width=240, height=180)

    def chunk(out: Path, start: int, end: int, rungs: list[PlannedRendition], **kw: Any) -> None:
        out.mkdir()
        cmd = chunk_command(clip, out, rungs, start, end, timescale=12_800, **kw)
        run_ffmpeg(cmd, duration=(end - start) / 25)

    chunk(tmp_path / "first", 0, 25, [other], inits=[RUNG])
    one_frame = tmp_path / "first" / "init-240p_00000.mp4"
    with av.open(str(one_frame)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 1
    init = cmaf.split(one_frame.read_bytes()).init
    chunk(tmp_path / "whole", 0, 25, [RUNG])
    chunk(tmp_path / "later", 25, 150, [RUNG])
    for out in ("whole", "later"):
        assert cmaf.split((tmp_path / out / "240p_00000.mp4").read_bytes()).init == init, out
    with pytest.raises(ValueError, match="CMAF"):
        chunk_command(clip, tmp_path, [other], 0, 25, inits=[RUNG])


def test_the_uploads_own_tags_stay_out_of_every_segment(tmp_path: Path) -> None:
    """An upload's global tags (its title, a phone's location, chapters) are not copied into
    the rungs' or the audio's segments: every viewer downloads those, the owner's tags are
    the owner's (ffmpeg copies them into each output's ``udta`` unless told not to)."""
    plain = make_clip(tmp_path / "plain.mp4", width=320, height=240, duration=3.0)
    tagged = tmp_path / "tagged.mov"
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-i", str(plain), "-c", "copy",
         "-metadata", "title=Owner-only title", "-metadata", "location=+48.8584+002.2945/",
         "-metadata", "comment=Owner-only comment", str(tagged)],
        check=True,
    )  # fmt: skip
    assert b"Owner-only title" in tagged.read_bytes()
    video = tmp_path / "video"
    video.mkdir()
    run_ffmpeg(chunk_command(tagged, video, [RUNG], 0, 75, timescale=12_800), duration=3.0)
    audio = tmp_path / "audio"
    audio.mkdir()
    command = build_audio_command(
        FFMPEG, ["-i", str(tagged)], str(audio), "audio",
        duration=3.0, boundaries=[1.0, 2.0], bitrate=128_000, ts_offset=10.0, cmaf=True,
    )  # fmt: skip
    run_ffmpeg(command, duration=3.0)
    written = sorted([*video.iterdir(), *audio.iterdir()])
    assert len([p for p in written if p.name.startswith("240p_")]) == 3, written
    assert len([p for p in written if p.name.startswith("audio_")]) == 3, written
    for path in written:
        body = path.read_bytes()
        assert b"Owner-only" not in body and b"+48.8584" not in body, path.name
