"""The one place where settings choose adapters and everything is put together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from sqlalchemy import Engine

from vidhost.db.engine import make_engine, migrate
from vidhost.db.repository import SqlRepository
from vidhost.domain.lifecycle import TaskKind
from vidhost.domain.ports import Storage
from vidhost.domain.services import Limits, VideoService
from vidhost.events.memory import InMemoryBus
from vidhost.events.wakeup import install_publisher
from vidhost.jobs.celery_app import make_celery
from vidhost.jobs.queue import CeleryJobQueue
from vidhost.media.binaries import ffmpeg_path
from vidhost.pipeline.probing import MediaProber
from vidhost.pipeline.runner import Handler, TaskRunner
from vidhost.pipeline.transcode import TranscodeConfig, Transcoder
from vidhost.settings import Settings
from vidhost.storage.local import LocalStorage


def make_storage(settings: Settings) -> Storage:
    if settings.storage == "local":
        return LocalStorage(settings.storage_dir)
    raise ValueError(f"storage backend {settings.storage!r} is not available")


@dataclass
class Container:
    settings: Settings
    engine: Engine
    repo: SqlRepository
    storage: Storage
    bus: InMemoryBus
    celery: Celery
    videos: VideoService
    extras: dict[str, Any] = field(default_factory=dict)

    def jwt_secret(self) -> str:
        return self.settings.resolved_jwt_secret()

    def handlers(self) -> dict[TaskKind, Handler]:
        s = self.settings
        transcode = Transcoder(
            self.videos,
            self.storage,
            TranscodeConfig(
                ffmpeg=ffmpeg_path(s.ffmpeg),
                heights=s.ladder_heights,
                segment_seconds=s.segment_seconds,
                preset=s.x264_preset,
                timeout=s.ffmpeg_timeout,
                tmp_dir=s.tmp_dir,
            ),
        )
        return {TaskKind.TRANSCODE: transcode}

    def task_runner(self) -> TaskRunner:
        return TaskRunner(
            self.videos,
            self.handlers(),
            stale_after=self.settings.task_stale_after,
            heartbeat=self.repo.heartbeat,
        )

    def close(self) -> None:
        self.engine.dispose()


def build_container(
    settings: Settings, *, worker: bool = False, migrate_db: bool = True
) -> Container:
    """Everything vidhost needs, from settings. ``worker=True`` registers the task handlers."""
    settings.prepare_dirs()
    engine = make_engine(settings.resolved_database_url)
    if migrate_db:
        migrate(engine)
    repo = SqlRepository(engine)
    install_publisher(settings, repo)
    storage = make_storage(settings)
    holder: dict[str, TaskRunner] = {}

    def run(video_id: str, kind: str) -> None:
        holder["runner"].run(video_id, kind)

    celery = make_celery(settings, run if worker else None)
    videos = VideoService(
        repo,
        storage,
        CeleryJobQueue(celery),
        MediaProber(),
        Limits(max_upload_bytes=settings.max_upload_bytes),
    )
    container = Container(settings, engine, repo, storage, InMemoryBus(), celery, videos)
    if worker:
        holder["runner"] = container.task_runner()
    return container
