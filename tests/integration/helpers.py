"""Shared helpers for the processing integration tests (not a test module)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.media.binaries import ffmpeg_path


@contextmanager
def container(data_dir: Path, **settings: Any) -> Iterator[Container]:
    """A real container (SQLite, local storage, real ffmpeg) with no worker process."""
    values: dict[str, Any] = {
        "auth": "none",
        "ladder_heights": [240],
        "x264_preset": "ultrafast",
        "segment_seconds": 1.0,
        **settings,
    }
    s = Settings(data_dir=data_dir, **values)
    c = build_container(s)
    try:
        yield c
    finally:
        c.close()


def upload(c: Container, clip: Path, **options: str) -> str:
    copy = clip.parent / f"upload-{clip.name}"
    copy.write_bytes(clip.read_bytes())
    video = c.videos.upload_file(
        owner="tester",
        path=copy,
        filename=clip.name,
        content_type="video/mp4",
        options=dict(options),
    )
    return video.id


def integrated_loudness(path: Path, *, stream: str = "0:a:0") -> float:
    """EBU R128 integrated loudness (LUFS) measured by ffmpeg's ebur128 filter."""
    result = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostats", "-i", str(path), "-map", stream,
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    match = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    assert match, summary
    return float(match.group(1))


def run_transcode(c: Container, video_id: str, runner: Any = None) -> Any:
    """Run a video's ``transcode`` task and then, inline, every chunk and audio task it
    created (no worker process); the ``transcode`` row's final status."""
    from vidhost.core.lifecycle import TaskKind, TaskStatus
    from vidhost.processing.transcode import PARTS

    runner = runner or c.task_runner()
    status = runner.run(video_id, TaskKind.TRANSCODE.value)
    if status is not TaskStatus.PROCESSING:
        return status
    for _ in range(3):  # a part that fails is run once more (ADR 0060)
        for task in c.repo.list_parts(video_id, PARTS):
            if task.status is TaskStatus.PENDING:
                runner.run(video_id, task.kind.value, task.part)
    final = c.repo.get_task(video_id, TaskKind.TRANSCODE)
    return None if final is None else final.status
