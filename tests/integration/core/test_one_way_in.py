"""One way in (ADR 0090): every way in ends in ``VideoService.accept_source``, which probes
the source once; the tasks use that probe while the stored source is the accepted one, and
still refuse a source that changed (ADR 0051)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

import vidhost.processing.probing as probing
from tests.clips import make_clip
from tests.integration.helpers import run_transcode
from vidhost.adapters.db.repository import SqlRepository
from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.acceptance import source_fields
from vidhost.core.errors import Conflict, InvalidInput, TooLarge
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Video, utcnow
from vidhost.core.video_events import state_event
from vidhost.ingest.video_hooks import VideoUploadHooks
from vidhost.media.probe import MediaInfo, info_from_json
from vidhost.processing.probing import MediaProber


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "clip": make_clip(d / "clip.mp4", duration=1.0, width=160, height=120),
        "other": make_clip(d / "other.mp4", duration=1.0, width=176, height=144, audio=False),
    }


@pytest.fixture
def c(tmp_path: Path) -> Iterator[Container]:
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path / "data",
            "auth": "none",
            "ladder_heights": [120],
            "x264_preset": "ultrafast",
            "segment_seconds": 1,
        }
    )
    container = build_container(settings, worker=True)
    yield container
    container.close()


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real probe of a file (acceptance and tasks alike), by the file's name."""
    seen: list[str] = []
    real = probing.probe_isolated

    def counting(path: Any, **kwargs: Any) -> MediaInfo:
        seen.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(probing, "probe_isolated", counting)
    return seen


@pytest.fixture
def ways(c: Container, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ``way`` of every call of the real ``accept_source``."""
    seen: list[str] = []
    real = c.videos.accept_source

    def spy(video: Any, *, way: str, **kwargs: Any) -> Any:
        seen.append(way)
        return real(video, way=way, **kwargs)

    monkeypatch.setattr(c.videos, "accept_source", spy)
    return seen


def _copy(clip: Path, tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    copy = tmp / f"in-{clip.name}"
    shutil.copy(clip, copy)
    return copy


def test_every_way_in_goes_through_accept_source(
    c: Container, clips: dict[str, Path], ways: list[str], probes: list[str], tmp_path: Path
) -> None:
    clip = clips["clip"]
    # POST /upload
    form = c.videos.upload_file(
        owner="u", path=_copy(clip, tmp_path), filename="a.mp4", content_type=None
    )
    # tus and upload sessions: the completion hook
    hooks = VideoUploadHooks(c.videos)
    tus_id, tus_key = hooks.pre_create("u", {"filename": "b.mp4"})
    c.storage.put_file(tus_key, _copy(clip, tmp_path))
    hooks.post_finish(tus_id, strict=True)
    # the local signed PUT (what ingest/presigned/signed_put.py does)
    put = c.direct.init(owner="u", size=clip.stat().st_size)
    c.direct.begin_upload(put.video.id)
    c.direct.finish(put.video.id, file=_copy(clip, tmp_path))
    # the S3 pre-signed PUT, found by the upload watcher
    watched = c.direct.init(owner="u")
    assert watched.video.source_key is not None
    c.storage.put_file(watched.video.source_key, _copy(clip, tmp_path))
    assert watched.video.id in c.direct.poll()
    # POST /api/videos/{id}/complete (and S3 multipart completion, which ends in finish)
    completed = c.direct.init(owner="u")
    assert completed.video.source_key is not None
    c.storage.put_file(completed.video.source_key, _copy(clip, tmp_path))
    c.direct.finish(completed.video.id)

    assert ways == ["form", "resumable", "direct", "direct", "direct"]
    assert len(probes) == 5  # once per source, at acceptance
    for video_id in (form.id, tus_id, put.video.id, watched.video.id, completed.video.id):
        video = c.repo.get_video(video_id)
        assert video is not None and video.state is VideoState.UPLOADED
        assert video.source_key is not None and video.source_probe is not None
        assert video.source_etag == c.storage.stat(video.source_key).etag
        assert (video.width, video.height, video.audio_codec) == (160, 120, "aac")
        assert video.source_format is not None and video.source_format.startswith("mov,")


def test_each_way_refuses_the_same_way(
    c: Container, clips: dict[str, Path], ways: list[str], tmp_path: Path
) -> None:
    clip = clips["clip"]
    declared = c.direct.init(owner="u", size=clip.stat().st_size - 1)
    assert declared.video.source_key is not None
    c.storage.put_file(declared.video.source_key, _copy(clip, tmp_path))
    with pytest.raises(TooLarge) as exc:
        c.direct.finish(declared.video.id)
    assert exc.value.code == "file_too_large"
    refused = c.repo.get_video(declared.video.id)
    assert refused is not None and refused.state is VideoState.FAILED
    assert refused.error_code == "file_too_large"
    with pytest.raises(FileNotFoundError):
        c.storage.stat(declared.video.source_key)

    put = c.direct.init(owner="u", size=10)
    c.direct.begin_upload(put.video.id)
    with pytest.raises(TooLarge):
        c.direct.refuse_oversized(put.video, 11, max_bytes=10)  # Content-Length, unread
    video = c.repo.get_video(put.video.id)
    assert video is not None and video.error_code == "file_too_large"

    missing = c.direct.init(owner="u")
    with pytest.raises(Conflict) as gone:
        c.direct.finish(missing.video.id)
    assert gone.value.code == "upload_incomplete"
    still = c.repo.get_video(missing.video.id)
    assert still is not None and still.state is VideoState.CREATED  # nothing refused yet
    assert ways == ["direct", "direct"]


def test_a_task_uses_the_probe_made_at_acceptance(
    c: Container, clips: dict[str, Path], probes: list[str], tmp_path: Path
) -> None:
    video = c.videos.upload_file(
        owner="u", path=_copy(clips["clip"], tmp_path), filename="a.mp4", content_type=None
    )
    assert len(probes) == 1
    assert run_transcode(c, video.id) is TaskStatus.COMPLETED
    assert len(probes) == 1, probes  # neither the plan nor a chunk probed the source again
    done = c.repo.get_video(video.id)
    assert done is not None and done.state is VideoState.READY, done.error_message
    assert [(r.width, r.height) for r in done.renditions] == [(160, 120)]
    assert done.source_probe is not None  # the accepted source's probe stays


def test_a_changed_source_is_still_refused(
    c: Container, clips: dict[str, Path], probes: list[str], tmp_path: Path
) -> None:
    video = c.videos.upload_file(
        owner="u", path=_copy(clips["clip"], tmp_path), filename="a.mp4", content_type=None
    )
    assert video.source_key is not None
    c.storage.put_file(video.source_key, _copy(clips["other"], tmp_path))  # swapped
    assert c.task_runner().run(video.id, TaskKind.TRANSCODE.value) is TaskStatus.FAILED
    failed = c.repo.get_video(video.id)
    assert failed is not None and failed.state is VideoState.FAILED
    assert failed.error_code == "source_changed"
    assert len(probes) == 1  # refused before anything read it
    with pytest.raises(FileNotFoundError):
        c.storage.stat(video.source_key)


def test_a_source_accepted_without_a_kept_probe_is_probed_by_the_task(
    c: Container, clips: dict[str, Path], probes: list[str], tmp_path: Path
) -> None:
    """Videos accepted before probes were kept: the task probes, as before."""
    video = c.videos.upload_file(
        owner="u", path=_copy(clips["clip"], tmp_path), filename="a.mp4", content_type=None
    )
    c.repo.update_video(video.id, source_probe=None)
    assert run_transcode(c, video.id) is TaskStatus.COMPLETED
    assert probes == ["in-clip.mp4", "source"]  # acceptance, then the plan; not per chunk


def test_the_kept_probe_round_trips_in_the_database(
    engine: Engine, clips: dict[str, Path]
) -> None:  # engine: SQLite and PostgreSQL (conftest)
    info = MediaProber().probe(clips["clip"])
    assert info.source_probe is not None
    repo = SqlRepository(engine)
    video = Video(id="v1", owner="u", state=VideoState.CREATED, upload_expires_at=utcnow())
    repo.add_video(video, event=state_event(video, VideoState.CREATED))
    repo.update_video("v1", **source_fields(info))
    stored = repo.get_video("v1")
    assert stored is not None and stored.source_probe == info.source_probe
    assert info_from_json(stored.source_probe) == info_from_json(info.source_probe)
    # The upload watcher's listing leaves the (large) probe out.
    [lean] = repo.awaiting_direct_uploads()
    assert lean.id == "v1" and lean.source_probe is None


def test_a_videos_own_max_duration_is_checked_on_the_probe_for_every_way(
    c: Container, clips: dict[str, Path], tmp_path: Path
) -> None:
    """``options["max_duration_seconds"]`` (Cloudflare's ``maxDurationSeconds``): a longer
    source is refused with ``duration_too_long`` and keeps no bytes, a local file or an
    object already stored alike; a shorter limit than the source's is all it takes."""
    clip = clips["clip"]  # 1 s
    limit = {"max_duration_seconds": 0.5}
    local = c.videos.create_pending(owner="u", options=limit)
    with pytest.raises(InvalidInput) as exc:
        c.videos.accept_source(local.id, way="direct", file=_copy(clip, tmp_path))
    assert exc.value.code == "duration_too_long"
    stored = c.videos.create_pending(owner="u", options=limit)
    assert stored.source_key is not None
    c.storage.put_file(stored.source_key, _copy(clip, tmp_path))
    with pytest.raises(InvalidInput):
        c.videos.accept_source(stored.id, way="resumable")
    for video_id, key in ((local.id, local.source_key), (stored.id, stored.source_key)):
        video = c.repo.get_video(video_id)
        assert video is not None and video.state is VideoState.FAILED
        assert video.error_code == "duration_too_long"
        assert key is not None
        with pytest.raises(FileNotFoundError):
            c.storage.stat(key)
    roomy = c.videos.create_pending(owner="u", options={"max_duration_seconds": 5})
    accepted = c.videos.accept_source(roomy.id, way="direct", file=_copy(clip, tmp_path))
    assert accepted.state in (VideoState.UPLOADED, VideoState.PROCESSING, VideoState.READY)
