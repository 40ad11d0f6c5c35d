"""Metadata extraction on generated clips with known properties (real decoding)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.integration.helpers import container, run_transcode, upload
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.planner import metadata_key
from vidhost.media.analysis import analyse_colors, metadata_document
from vidhost.media.errors import MediaError
from vidhost.media.probe import probe
from vidhost.processing.runner import TaskContext


def analyse(path: Path, **kwargs: int) -> dict:
    info = probe(path)
    assert info.video is not None
    colors = analyse_colors(
        path,
        duration=info.duration,
        frame_count=info.video.frame_count,
        fps=info.video.fps,
        **kwargs,
    )
    return metadata_document(file_id="f1", filename=path.name, info=info, colors=colors)


@pytest.mark.parametrize(
    ("duration", "width", "height", "fps", "frames"),
    [(2.0, 320, 240, 25, 50), (1.5, 256, 144, 30, 45), (3.0, 176, 144, 24, 72)],
)
def test_known_resolution_fps_frames_and_duration(
    tmp_path: Path, duration: float, width: int, height: int, fps: int, frames: int
) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=duration, width=width, height=height, fps=fps)
    doc = analyse(clip)
    assert doc["resolution"] == {"width": width, "height": height}
    assert doc["fps"] == fps
    assert doc["frame_count"] == frames
    assert doc["duration_seconds"] == round(duration)
    assert doc["advanced"]["duration"] == pytest.approx(duration, abs=0.05)
    assert doc["file_size_bytes"] == clip.stat().st_size
    assert int(doc["bit_rate"]) > 0 and isinstance(doc["bit_rate"], str)
    assert doc["advanced"]["sampling"]["mode"] == "all"
    assert doc["advanced"]["sampling"]["frames_analysed"] == frames
    assert {s["codec_type"] for s in doc["advanced"]["streams"]} == {"video", "audio"}
    assert doc["format"].startswith("mov,mp4")  # ffprobe style, as seed 004 has it
    assert doc["container"] == "MPEG-4 (MP4)"  # and the name people use (issue 24)


@pytest.mark.parametrize(
    ("color", "bgr"),
    [("red", (0, 0, 254)), ("blue", (254, 0, 0)), ("0x808080", (128, 128, 128))],
)
def test_solid_colour_gives_average_and_one_bin(
    tmp_path: Path, color: str, bgr: tuple[int, int, int]
) -> None:
    doc = analyse(make_clip(tmp_path / "solid.mp4", duration=1.0, color=color))
    profile = doc["color_profile"]
    for name, expected in zip("bgr", bgr, strict=True):
        assert profile["average_color"][name] == pytest.approx(expected, abs=3)
        hist = profile["histograms"][name]
        assert len(hist) == 256
        assert sum(hist) == pytest.approx(1.0)
        assert [i for i, v in enumerate(hist) if v > 0] == [profile["average_color"][name]]


def test_colour_bars_spread_over_the_bar_levels(tmp_path: Path) -> None:
    doc = analyse(make_clip(tmp_path / "bars.mp4", duration=1.0, source="smptebars"))
    profile = doc["color_profile"]
    for name in "bgr":
        hist = profile["histograms"][name]
        assert sum(hist) == pytest.approx(1.0)
        strong = [i for i, v in enumerate(hist) if v > 0.03]
        # SMPTE bars: 0 and the ~75% level (191) in every channel, plus the bottom-row levels.
        assert 4 <= len(strong) <= 12, strong
        assert sum(v for i, v in enumerate(hist) if i <= 12) > 0.3  # the black/dark regions
        assert sum(v for i, v in enumerate(hist) if 185 <= i <= 195) > 0.25  # 75% bars
        assert max(hist) < 0.6
    assert 80 <= profile["average_color"]["g"] <= 110


def test_long_clip_samples_spread_keyframes(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "long.mp4", duration=12, fps=25, extra_args=["-g", "25"], audio=False
    )
    doc = analyse(clip, full_decode_max_frames=100, max_samples=6)
    sampling = doc["advanced"]["sampling"]
    assert sampling["mode"] == "keyframes"
    assert 5 <= sampling["frames_analysed"] <= 7
    assert sampling["fallback_full_decode"] is False
    assert doc["frame_count"] == 300
    assert sum(doc["color_profile"]["histograms"]["g"]) == pytest.approx(1.0)


def test_single_keyframe_falls_back_to_full_decode(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "gop.mp4", duration=8, extra_args=["-g", "1000"], audio=False)
    doc = analyse(clip, full_decode_max_frames=50, max_samples=10)
    assert doc["advanced"]["sampling"]["fallback_full_decode"] is True
    assert doc["frame_count"] == 200


def test_truncated_file_fails_with_corrupt_media(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "t.mkv", duration=12)
    data = clip.read_bytes()
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(data[: len(data) // 4])
    probe(broken)  # probes fine: the damage is past the first frames
    with pytest.raises(MediaError) as info:
        analyse(broken)
    assert info.value.code == "corrupt_media"
    assert "truncated" in info.value.message


def test_task_stores_json_and_never_touches_video_state(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=1.0, color="green")
    with container(tmp_path / "data") as c:
        video_id = upload(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, TaskKind.METADATA_EXTRACTION.value) is TaskStatus.COMPLETED
        doc = json.loads(c.storage.get_bytes(metadata_key(video_id)))
        assert doc["file_id"] == video_id and doc["filename"] == "c.mp4"
        assert (tmp_path / "data/storage/processed_videos/metadata").is_dir()
        assert c.videos.get(video_id).state is VideoState.UPLOADED
        task = c.repo.get_task(video_id, TaskKind.METADATA_EXTRACTION)
        assert task is not None and task.progress == 100.0
        c.videos.delete(video_id)
        with pytest.raises(FileNotFoundError):
            c.storage.stat(metadata_key(video_id))


def test_task_failure_is_recorded_on_the_task_only(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "t.mkv", duration=12)
    data = clip.read_bytes()
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(data[: len(data) // 4])
    with container(tmp_path / "data") as c:
        video_id = upload(c, broken)
        runner = c.task_runner()
        assert runner.run(video_id, TaskKind.METADATA_EXTRACTION.value) is TaskStatus.FAILED
        task = c.repo.get_task(video_id, TaskKind.METADATA_EXTRACTION)
        assert task is not None and task.error_code == "corrupt_media"
        assert task.error and "truncated" in task.error
        assert c.videos.get(video_id).state is VideoState.UPLOADED
        assert run_transcode(c, video_id, runner) is TaskStatus.COMPLETED
        assert c.videos.get(video_id).state is VideoState.READY


def test_metadata_written_in_the_instant_of_a_delete_is_removed(tmp_path: Path) -> None:
    """The delete lands after the task's last fenced report and before its write: the task
    finds the video deleted after writing and removes what it wrote (ADR 0061's rule for
    every writer, not only the transcode's)."""
    clip = make_clip(tmp_path / "c.mp4", duration=1.0)
    with container(tmp_path / "data") as c:
        video_id = upload(c, clip)
        runner = c.task_runner()
        extract = runner.handlers[TaskKind.METADATA_EXTRACTION]
        deleted: list[float] = []

        def deleted_meanwhile(ctx: TaskContext) -> None:
            def progress(percent: float) -> None:
                if deleted:
                    return  # no fenced report after the delete: it would stop the task
                if percent > 2.0:  # probed, now analysing
                    c.videos.delete(video_id)
                    deleted.append(percent)
                    return
                ctx.progress(percent)

            extract(dataclasses.replace(ctx, progress=progress))

        late = type(runner)(
            c.videos, c.repo, {TaskKind.METADATA_EXTRACTION: deleted_meanwhile}, stale_after=30
        )
        assert late.run(video_id, TaskKind.METADATA_EXTRACTION.value) is None
        assert deleted, "the delete never happened"
        with pytest.raises(FileNotFoundError):
            c.storage.stat(metadata_key(video_id))
        assert not list(c.storage.list("processed_videos/"))
