"""Enhancement with real ffmpeg: decodable output, deinterlacing, loudness, ladder hand-off."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from tests.clips import make_clip
from tests.integration.helpers import container, integrated_loudness, run_transcode, upload
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.planner import enhanced_key
from vidhost.media.probe import probe

E = TaskKind.VIDEO_ENHANCEMENT.value


def enhance(tmp_path: Path, clip: Path, spec: str, **settings: object) -> tuple[Path, str]:
    with container(tmp_path / "data", **settings) as c:  # type: ignore[arg-type]
        video_id = upload(c, clip, enhance=spec)
        kinds = [t.kind for t in c.videos.tasks(video_id)]
        assert TaskKind.VIDEO_ENHANCEMENT in kinds
        status = c.task_runner().run(video_id, E)
        task = c.repo.get_task(video_id, TaskKind.VIDEO_ENHANCEMENT)
        assert task is not None
        assert status is TaskStatus.COMPLETED, task.error
        assert task.progress == 100.0
        assert c.videos.get(video_id).state is VideoState.UPLOADED  # untouched
        key = enhanced_key(c.videos.get(video_id))
        out = tmp_path / "data" / "storage" / key
        assert out.is_file()
        return out, video_id


def decoded_frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


def test_default_preset_gives_a_decodable_file_of_the_same_duration(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=2.0, width=320, height=240)
    out, video_id = enhance(tmp_path, clip, "default")
    assert out.name == f"enhanced_{video_id}.mp4"
    assert out.parent.name == "processed_videos"
    src, res = probe(clip), probe(out)
    assert res.duration == pytest.approx(src.duration, abs=0.1)
    assert res.video is not None and (res.video.width, res.video.height) == (320, 240)
    assert res.audio is not None
    assert len(decoded_frames(out)) == 50


def test_interlaced_source_is_deinterlaced(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "i.mkv", duration=1.0, interlaced=True, audio=False)
    src = probe(clip)
    assert src.video is not None and src.video.field_order in ("tt", "tb")
    assert any(f.interlaced_frame for f in decoded_frames(clip))
    out, _ = enhance(tmp_path, clip, "light")
    assert out.suffix == ".mkv"
    res = probe(out)
    assert res.video is not None and res.video.field_order == "progressive"
    frames = decoded_frames(out)
    assert len(frames) == 25  # bwdif send_frame: same frame rate
    assert not any(f.interlaced_frame for f in frames)


def test_progressive_source_is_left_alone_by_auto_deinterlace(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "p.mp4", duration=1.0, audio=False)
    out, _ = enhance(tmp_path, clip, "sharpen")
    assert len(decoded_frames(out)) == 25


def test_loud_source_is_normalised_to_the_target(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "loud.mp4", duration=4.0, extra_args=["-af", "volume=16dB"])
    before = integrated_loudness(clip)
    assert before > -10.0
    out, _ = enhance(tmp_path, clip, "loudnorm:loudness=-23")
    after = integrated_loudness(out)
    assert after == pytest.approx(-23.0, abs=1.0)


def test_stabilisation_runs_both_passes(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "s.mp4", duration=2.0, width=192, height=108, audio=False)
    out, _ = enhance(tmp_path, clip, "stabilize")
    res = probe(out)
    assert res.duration == pytest.approx(2.0, abs=0.1)
    assert len(decoded_frames(out)) == 50


def test_bad_preset_fails_only_the_enhancement(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=1.0, audio=False)
    with container(tmp_path / "data", enhance="always", enhance_preset="nonsense") as c:
        video_id = upload(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, E) is TaskStatus.FAILED
        task = c.repo.get_task(video_id, TaskKind.VIDEO_ENHANCEMENT)
        assert task is not None and task.error_code == "unknown_preset"
        assert run_transcode(c, video_id, runner) is TaskStatus.COMPLETED
        assert c.videos.get(video_id).state is VideoState.READY


def test_enhanced_file_feeds_the_ladder(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "loud.mp4", duration=3.0, extra_args=["-af", "volume=16dB"])
    with container(tmp_path / "data", enhance_feeds_ladder=True) as c:
        video_id = upload(c, clip, enhance="loudnorm")
        # The transcode is not planned until enhancement has finished.
        assert c.repo.get_task(video_id, TaskKind.TRANSCODE) is None
        runner = c.task_runner()
        assert runner.run(video_id, E) is TaskStatus.COMPLETED
        transcode = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert transcode is not None and transcode.status is TaskStatus.PENDING
        assert run_transcode(c, video_id, runner) is TaskStatus.COMPLETED
        video = c.videos.get(video_id)
        assert video.state is VideoState.READY
        hls = tmp_path / "data" / "storage" / "videos" / video_id / "hls"
        # audio is its own rendition (ADR 0060); a CMAF segment decodes after its init
        segment = tmp_path / "audio_00001.mp4"
        segment.write_bytes(
            (hls / "audio_init.mp4").read_bytes() + (hls / "audio_00001.m4s").read_bytes()
        )
        # Cut from the loudness-normalised file, not the +16 dB source.
        assert integrated_loudness(segment) == pytest.approx(-23.0, abs=2.0)
        c.videos.delete(video_id)
        assert not (tmp_path / "data" / "storage" / enhanced_key(video)).exists()


def test_failed_enhancement_still_releases_the_transcode(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=1.0, audio=False)
    with container(
        tmp_path / "data", enhance_feeds_ladder=True, enhance="always", enhance_preset="bad"
    ) as c:
        video_id = upload(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, E) is TaskStatus.FAILED
        assert run_transcode(c, video_id, runner) is TaskStatus.COMPLETED
        assert c.videos.get(video_id).state is VideoState.READY


def test_enhanced_file_in_another_container_feeds_the_ladder(tmp_path: Path) -> None:
    """An MPEG-TS upload is enhanced to MP4: the chunk tasks read the MP4 as the plan says, not
    pinned to the upload's container."""
    clip = make_clip(tmp_path / "c.ts", duration=2.0, width=160, height=120, audio=False)
    with container(tmp_path / "data", enhance_feeds_ladder=True) as c:
        video_id = upload(c, clip, enhance="sharpen")
        runner = c.task_runner()
        assert runner.run(video_id, E) is TaskStatus.COMPLETED
        assert enhanced_key(c.videos.get(video_id)).endswith(".mp4")
        assert run_transcode(c, video_id, runner) is TaskStatus.COMPLETED
        assert c.videos.get(video_id).state is VideoState.READY
