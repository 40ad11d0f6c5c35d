"""The processing pipeline with real ffmpeg, driven through the domain service and runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.integration.helpers import run_transcode
from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.errors import InvalidInput
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Video
from vidhost.processing.transcode import PARTS


def _container(tmp_path: Path, **overrides: object) -> Container:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "ladder_heights": [720, 480, 360, 240],
        "x264_preset": "ultrafast",
        "segment_seconds": 1,
        **overrides,
    }
    return build_container(Settings.model_validate(values), worker=True)


def _ingest(c: Container, clip: Path) -> Video:
    copy = c.settings.tmp_dir / clip.name
    shutil.copy(clip, copy)
    return c.videos.upload_file(owner="u", path=copy, filename=clip.name, content_type=None)


def _process(c: Container, video: Video) -> Video:
    status = run_transcode(c, video.id)  # the plan, then every chunk and the audio task
    assert status is not None
    done = c.repo.get_video(video.id)
    assert done is not None
    return done


@pytest.fixture
def container(tmp_path: Path):
    c = _container(tmp_path)
    yield c
    c.close()


def test_odd_sized_source_gives_even_renditions_without_upscaling(container, tmp_path) -> None:
    video = _process(
        container, _ingest(container, make_clip(tmp_path / "odd.mp4", width=853, height=481))
    )
    assert video.state is VideoState.READY, video.error_message
    sizes = [(r.name, r.width, r.height) for r in video.renditions]
    assert sizes[0][0] == "480p"  # no 720p rung from a 481-line source
    assert [s[0] for s in sizes] == ["480p", "360p", "240p"]
    for _, w, h in sizes:
        assert w % 2 == 0 and h % 2 == 0
    task = container.repo.get_task(video.id, TaskKind.TRANSCODE)
    assert task is not None and task.status is TaskStatus.COMPLETED and task.progress == 100
    keys = {o.key for o in container.storage.list(f"videos/{video.id}/hls/")}
    assert f"videos/{video.id}/hls/master.m3u8" in keys
    assert {f"videos/{video.id}/hls/{r.name}.m3u8" for r in video.renditions} <= keys
    assert any(k.endswith("480p_00000.m4s") for k in keys)


def test_rotated_phone_video_comes_out_portrait(container, tmp_path) -> None:
    clip = make_clip(tmp_path / "phone.mp4", width=320, height=240, rotate=90)
    video = _process(container, _ingest(container, clip))
    assert video.state is VideoState.READY, video.error_message
    assert (video.width, video.height) == (240, 320)
    assert [(r.width, r.height) for r in video.renditions] == [(240, 320)]


def test_video_records_source_facts(container, tmp_path) -> None:
    clip = make_clip(tmp_path / "facts.mp4", duration=2, width=640, height=360, fps=25)
    video = _process(container, _ingest(container, clip))
    assert video.state is VideoState.READY
    assert video.duration == pytest.approx(2.0, abs=0.1)
    assert (video.width, video.height, video.video_codec, video.audio_codec) == (
        640,
        360,
        "h264",
        "aac",
    )
    assert video.fps == pytest.approx(25)
    assert video.size_bytes == clip.stat().st_size
    assert video.poster_key and container.storage.stat(video.poster_key).size > 0
    assert video.ready_at is not None


def test_corrupt_source_fails_with_code_and_does_not_block_the_next(container, tmp_path) -> None:
    clip = make_clip(tmp_path / "a.mp4", duration=4, extra_args=["-movflags", "+faststart"])
    data = bytearray(clip.read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = b"\x00" * third  # index intact, media data destroyed
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))

    bad = _process(container, _ingest(container, broken))
    assert bad.state is VideoState.FAILED
    assert bad.error_code == "corrupt_media"
    assert bad.error_message
    task = container.repo.get_task(bad.id, TaskKind.TRANSCODE)
    assert task is not None and task.status is TaskStatus.FAILED
    assert task.error_code == "corrupt_media"
    # The chunk over the destroyed data failed twice (it is run once more first).
    failed = [t for t in container.repo.list_parts(bad.id, PARTS) if t.error_code]
    assert failed and all(t.attempts == 2 for t in failed)

    good = _process(container, _ingest(container, make_clip(tmp_path / "ok.mp4")))
    assert good.state is VideoState.READY


def test_truncated_upload_is_rejected_and_leaves_nothing(container, tmp_path) -> None:
    clip = make_clip(tmp_path / "t.mp4", duration=3, extra_args=["-movflags", "+faststart"])
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: int(clip.stat().st_size * 0.6)])
    with pytest.raises(InvalidInput) as info:
        _ingest(container, truncated)
    assert info.value.code == "corrupt_media"
    assert list(container.storage.list("videos/")) == []
    assert list(container.settings.tmp_dir.iterdir()) == []


def test_truncated_direct_upload_ends_failed(container, tmp_path) -> None:
    """Bytes that arrive outside POST /upload (pre-signed URL, tus) end ``failed``."""
    clip = make_clip(tmp_path / "t.mp4", duration=3, extra_args=["-movflags", "+faststart"])
    video = container.videos.create_pending(owner="u", filename="t.mp4")
    assert video.source_key is not None
    container.storage.put_bytes(video.source_key, clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(InvalidInput):
        container.videos.complete_upload(video.id)
    failed = container.repo.get_video(video.id)
    assert failed is not None
    assert (failed.state, failed.error_code) == (VideoState.FAILED, "corrupt_media")


def test_ffmpeg_timeout_fails_the_video(tmp_path) -> None:
    c = _container(tmp_path, ffmpeg_timeout=0.5, x264_preset="veryslow")
    try:
        clip = make_clip(tmp_path / "long.mp4", duration=20, width=640, height=360)
        video = _process(c, _ingest(c, clip))
        assert video.state is VideoState.FAILED
        assert video.error_code == "ffmpeg_timeout"
        assert list(c.settings.tmp_dir.iterdir()) == []  # work dir cleaned up
    finally:
        c.close()


def test_task_runs_once_even_if_dispatched_twice(container, tmp_path) -> None:
    video = _ingest(container, make_clip(tmp_path / "once.mp4"))
    runner = container.task_runner()
    assert run_transcode(container, video.id, runner) is TaskStatus.COMPLETED
    assert runner.run(video.id, "transcode") is None  # already completed: skipped
    assert runner.run(video.id, "transcode_chunk", 0) is None
    task = container.repo.get_task(video.id, TaskKind.TRANSCODE)
    assert task is not None and task.attempts == 1
