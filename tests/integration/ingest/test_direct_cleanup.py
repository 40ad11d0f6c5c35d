"""Cleanup of direct uploads: abandoned records, incomplete multipart uploads, orphans.

In-process containers over the real database and real storage (local and SeaweedFS).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.s3 import ACCESS_KEY, SECRET_KEY, new_bucket
from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.errors import DomainError
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import utcnow
from vidhost.processing.sweepers import Removal

DAY = 86400.0


def _settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "jwt_secret": "cleanup-test-secret-0123456789abcdefghij",
        "upload_url_ttl": 60,
        "multipart_threshold": 1024 * 1024,
        "multipart_part_size": 5 * 1024 * 1024,
    }
    if backend == "s3":
        seaweed = request.getfixturevalue("seaweed")
        values.update(
            storage="s3",
            s3_endpoint_url=seaweed.endpoint,
            s3_bucket=new_bucket(),
            s3_access_key_id=ACCESS_KEY,
            s3_secret_access_key=SECRET_KEY,
        )
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["local", "s3"])
def container(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    c = build_container(_settings(tmp_path, request.param, request))
    yield c
    c.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clips") / "c.mp4", duration=1.0).read_bytes()


def sweep(c: Container, *, days: float = 2, dry_run: bool = False) -> list[Removal]:
    now = utcnow() + timedelta(days=days)
    return [r for s in c.sweepers for r in s(now, dry_run)]


def age(c: Container, video_id: str) -> None:
    """Make a record look initialised two days ago with a URL that expired yesterday."""
    now = utcnow()
    c.repo.update_video(
        video_id, created_at=now - timedelta(days=2), upload_expires_at=now - timedelta(days=1)
    )


def state(c: Container, video_id: str) -> VideoState:
    video = c.repo.get_video(video_id)
    assert video is not None
    return video.state


def test_abandoned_record_is_removed_with_a_reason(container: Container) -> None:
    assert container.direct is not None
    video = container.direct.init(owner="alice").video
    container.storage.put_bytes(f"videos/{video.id}/notes", b"left behind")

    assert sweep(container, days=0) == []  # young record, live URL: kept
    dry = sweep(container, dry_run=True)
    assert Removal("video", video.id, "abandoned_record") in dry
    assert state(container, video.id) is VideoState.CREATED

    removed = sweep(container)
    assert Removal("video", video.id, "abandoned_record") in removed
    assert state(container, video.id) is VideoState.DELETED
    assert list(container.storage.list(f"videos/{video.id}/")) == []


def test_uploaded_bytes_are_never_swept(container: Container, clip: bytes) -> None:
    """The object landed but the watcher has not processed it yet: keep it, then process."""
    assert container.direct is not None
    video = container.direct.init(owner="alice").video
    container.storage.put_bytes(f"videos/{video.id}/source", clip)
    assert [
        r for r in sweep(container) if r.id.startswith(f"videos/{video.id}") or r.id == video.id
    ] == []
    assert state(container, video.id) is VideoState.CREATED
    assert container.direct.poll() == [video.id]
    assert state(container, video.id) is VideoState.UPLOADED
    assert sweep(container, days=30) == []  # uploaded (and later ready) videos are out of scope


def test_upload_in_progress_is_kept(container: Container) -> None:
    assert container.direct is not None
    video = container.direct.init(owner="alice").video
    container.direct.begin_upload(video.id)  # the signed PUT is streaming
    assert sweep(container, days=0.5) == []
    assert state(container, video.id) is VideoState.UPLOADING
    removed = sweep(container, days=3)  # untouched for longer than abandoned_after
    assert Removal("video", video.id, "stalled_upload") in removed


def test_orphaned_objects_are_removed(container: Container, clip: bytes) -> None:
    assert container.direct is not None
    live = container.direct.init(owner="alice").video
    container.storage.put_bytes(f"videos/{live.id}/source", clip)
    container.direct.finish(live.id)
    container.storage.put_bytes(f"videos/{live.id}/hls/a.ts", b"x")
    container.storage.put_bytes("videos/0000-orphan/source", b"x")
    container.storage.put_bytes("videos/0000-orphan/hls/b.ts", b"x")
    assert sweep(container, days=0) == []  # too young to be called orphaned
    removed = sweep(container, days=2)
    assert {r.id for r in removed} == {
        "videos/0000-orphan/source",
        "videos/0000-orphan/hls/b.ts",
    }
    assert container.storage.get_bytes(f"videos/{live.id}/hls/a.ts") == b"x"


def test_incomplete_multipart_uploads_are_aborted(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    c = build_container(_settings(tmp_path, "s3", request))
    try:
        assert c.direct is not None and c.direct.multipart is not None
        ticket = c.direct.init(owner="alice", content_type="video/mp4", size=12 * 1024 * 1024)
        assert ticket.multipart is not None and len(ticket.multipart.parts) == 3
        stray = c.direct.multipart.create_multipart("videos/stray/source")
        assert sweep(c, days=0) == []
        removed = sweep(c)
        assert Removal("video", ticket.video.id, "stalled_upload") in removed  # aborts its own
        assert (
            Removal("multipart_upload", f"videos/stray/source#{stray}", "incomplete_multipart")
            in removed
        )
        assert c.direct.multipart.list_multipart("videos/") == []
    finally:
        c.close()


def test_begin_upload_races_cleanup_exactly_one_wins(container: Container) -> None:
    """The signed PUT starting and the sweeper deleting: a conditional update decides."""
    assert container.direct is not None
    direct = container.direct
    for _ in range(10):
        video = direct.init(owner="alice").video
        age(container, video.id)
        barrier = threading.Barrier(2)
        outcome: dict[str, object] = {}

        def upload(
            video_id: str = video.id,
            barrier: threading.Barrier = barrier,
            outcome: dict[str, object] = outcome,
        ) -> None:
            barrier.wait()
            try:
                outcome["upload"] = direct.begin_upload(video_id).state
            except DomainError as exc:
                outcome["upload"] = exc.code

        def clean(
            barrier: threading.Barrier = barrier, outcome: dict[str, object] = outcome
        ) -> None:
            barrier.wait()
            outcome["clean"] = sweep(container, days=0)

        threads = [threading.Thread(target=upload), threading.Thread(target=clean)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        removed = Removal("video", video.id, "abandoned_record") in outcome["clean"]  # type: ignore[operator]
        if outcome["upload"] is VideoState.UPLOADING:
            assert not removed and state(container, video.id) is VideoState.UPLOADING
        else:
            assert removed and outcome["upload"] == "video_not_found"
            assert state(container, video.id) is VideoState.DELETED


def _race(container: Container, clip: bytes, *, land_first: bool) -> tuple[object, bool]:
    assert container.direct is not None
    direct = container.direct
    video = direct.init(owner="alice").video
    age(container, video.id)
    if land_first:
        container.storage.put_bytes(f"videos/{video.id}/source", clip)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def complete() -> None:
        barrier.wait()
        if not land_first:
            try:
                container.storage.put_bytes(f"videos/{video.id}/source", clip)
            except FileNotFoundError:  # the sweeper removed the video's directory first
                outcome["complete"] = "upload_refused"
                return
        try:
            outcome["complete"] = direct.finish(video.id).state
        except DomainError as exc:
            outcome["complete"] = exc.code

    def clean() -> None:
        barrier.wait()
        outcome["clean"] = sweep(container, days=0)

    threads = [threading.Thread(target=complete), threading.Thread(target=clean)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    removed = Removal("video", video.id, "abandoned_record") in outcome["clean"]  # type: ignore[operator]
    final = state(container, video.id)
    if outcome["complete"] is VideoState.UPLOADED:
        assert not removed and final is VideoState.UPLOADED
        assert container.storage.stat(f"videos/{video.id}/source").size == len(clip)
        assert container.repo.list_tasks(video.id)  # processing was dispatched
    else:
        assert removed and final is VideoState.DELETED
        # The sweeper won: whatever the completion saw (gone, no file, a file removed while
        # probing), nothing was processed and the record is deleted.
        assert isinstance(outcome["complete"], str)
        assert container.repo.list_tasks(video.id) == []
    return outcome["complete"], removed


def test_completion_racing_cleanup_always_wins(container: Container, clip: bytes) -> None:
    """Bytes in storage while cleanup runs: the completion wins every time."""
    for _ in range(6):
        completed, removed = _race(container, clip, land_first=True)
        assert completed is VideoState.UPLOADED and not removed


def test_bytes_landing_during_cleanup_end_consistently(container: Container, clip: bytes) -> None:
    """Bytes landing mid-sweep: either processed or cleanly removed, never half-way."""
    for _ in range(6):
        _race(container, clip, land_first=False)


def test_cleanup_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(
        data_dir=data, jwt_secret="cli-test-secret-0123456789abcdefghijklmn", upload_url_ttl=1
    )
    c = build_container(settings)
    assert c.direct is not None
    video_id = c.direct.init(owner="alice").video.id
    c.storage.put_bytes("videos/cli-orphan/source", b"x")
    c.close()
    time.sleep(1.5)
    env = {
        **os.environ,
        "VIDHOST_DATA_DIR": str(data),
        "VIDHOST_JWT_SECRET": "cli-test-secret-0123456789abcdefghijklmn",
        "VIDHOST_ABANDONED_AFTER": "0",
    }
    cmd = [sys.executable, "-m", "vidhost", "cleanup"]
    dry = subprocess.run([*cmd, "--dry-run"], env=env, capture_output=True, text=True, check=True)
    assert f"would remove video {video_id} reason=abandoned_record" in dry.stdout
    assert "would remove object videos/cli-orphan/source reason=orphaned_object" in dry.stdout
    assert (data / "storage/videos/cli-orphan/source").exists()
    real = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert f"removed video {video_id} reason=abandoned_record" in real.stdout
    assert not (data / "storage/videos/cli-orphan/source").exists()
    c = build_container(settings)
    assert state(c, video_id) is VideoState.DELETED
    c.close()
