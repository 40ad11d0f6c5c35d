"""Errors clients can read (task and video errors, their events) name no server paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.clips import make_clip
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.messages import public


def test_a_storage_failure_in_a_task_reports_no_absolute_path(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"data_dir": tmp_path / "data", "ladder_heights": [240], "x264_preset": "ultrafast"}
    )
    c = build_container(settings, worker=True)
    try:
        clip = make_clip(tmp_path / "a.mp4", duration=1)
        copy = c.settings.tmp_dir / clip.name
        shutil.copy(clip, copy)
        video = c.videos.upload_file(owner="u", path=copy, filename="a.mp4", content_type=None)
        # A file where the HLS directory must go: storage raises an OSError naming the path.
        blocker = c.settings.storage_dir / "videos" / video.id / "hls"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("in the way")

        assert c.task_runner().run(video.id, "transcode") is TaskStatus.FAILED
        task = c.repo.get_task(video.id, TaskKind.TRANSCODE)
        failed = c.repo.get_video(video.id)
        assert task is not None and failed is not None and failed.state is VideoState.FAILED
        events = c.repo.events_after(0, limit=1000)
        shown = [task.error, failed.error_message, json.dumps([e.data for e in events])]
        for text in shown:
            assert str(tmp_path) not in (text or ""), text
            assert "/data/" not in (text or ""), text
        assert task.error_code == "internal_error" and task.error
    finally:
        c.close()


def test_public_keeps_only_the_last_component_of_absolute_paths() -> None:
    assert public("Permission denied: '/srv/vidhost/storage/videos/x/hls/360p_0.ts'") == (
        "Permission denied: '360p_0.ts'"
    )
    assert public("input file:///home/alice/private_meeting.ts") == "input private_meeting.ts"
    assert public("Invalid data found when processing input: /tmp/t/upload-1") == (
        "Invalid data found when processing input: upload-1"
    )
    # URLs, fractions and plain words are left alone
    for text in ("see http://127.0.0.1:8000/stream/a/manifest", "1/2 done", "ready/failed", None):
        assert public(text) == text
