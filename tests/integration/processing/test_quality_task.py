"""The ladder's completion measures the master's bandwidths and starts ``quality_measurement``,
which scores every rung (ADR 0045): in process, no worker, real ffmpeg and libvmaf."""

from __future__ import annotations

from pathlib import Path

from tests.clips import make_clip
from tests.integration.helpers import container, run_transcode, upload
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus


def test_the_stored_ladder_is_measured_then_scored(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=3, width=320, height=240)
    with container(tmp_path / "data", ladder_heights=[240, 120], segment_seconds=1.0) as c:
        video_id = upload(c, clip)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        video = c.videos.get(video_id)
        assert all(r.measured and r.vmaf_mean is None for r in video.renditions)
        master = c.storage.get_bytes(layout.master_key(video_id)).decode()
        for r in video.renditions:
            assert f"BANDWIDTH={r.peak_bitrate},AVERAGE-BANDWIDTH={r.average_bitrate}," in master
        task = c.repo.get_task(video_id, TaskKind.QUALITY_MEASUREMENT)
        assert task is not None and task.status is TaskStatus.PENDING  # dispatched, not run
        assert c.task_runner().run(video_id, TaskKind.QUALITY_MEASUREMENT.value) is (
            TaskStatus.COMPLETED
        )
        scored = c.videos.get(video_id).renditions
        for r in scored:
            assert r.vmaf_mean is not None and r.vmaf_p5 is not None
            assert 0 <= r.vmaf_p5 <= r.vmaf_mean <= 100
        assert [r.average_bitrate for r in scored] == [r.average_bitrate for r in video.renditions]


def test_off_no_measurement_task(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    with container(tmp_path / "data", quality_measurement=False) as c:
        video_id = upload(c, clip)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        assert c.repo.get_task(video_id, TaskKind.QUALITY_MEASUREMENT) is None
        assert all(r.measured for r in c.videos.get(video_id).renditions)
