"""The one place where settings choose adapters and everything is put together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from celery import Celery
from sqlalchemy import Engine

from vidhost.auth.playback import PlaybackTokens
from vidhost.db.engine import make_engine, migrate
from vidhost.db.posts import SqlPostRepository
from vidhost.db.repository import SqlRepository
from vidhost.db.signing_keys import SqlSigningKeyRepository
from vidhost.domain.direct_uploads import DirectConfig, DirectUploads
from vidhost.domain.lifecycle import TaskKind
from vidhost.domain.ports import MultipartUploads, PresignedDownloads, PresignedUploads, Storage
from vidhost.domain.posts import PostService
from vidhost.domain.processing import make_planner
from vidhost.domain.services import Limits, VideoService
from vidhost.domain.upload_hooks import VideoUploadHooks
from vidhost.events.memory import InMemoryBus
from vidhost.events.wakeup import install_publisher
from vidhost.jobs.celery_app import make_celery
from vidhost.jobs.cleanup import Sweeper
from vidhost.jobs.direct_cleanup import direct_upload_sweepers
from vidhost.jobs.queue import CeleryJobQueue
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.errors import MediaError
from vidhost.media.probe import MediaLimits
from vidhost.media.sandbox import MIB, ProcessLimits
from vidhost.metrics import ServiceMetrics, instrumented, transcode_finished
from vidhost.net.url_guard import UrlGuard, UrlPolicy
from vidhost.pipeline.analysis import AnalysisConfig, MetadataExtractor
from vidhost.pipeline.enhance import EnhanceConfig, Enhancer, LadderFromEnhanced
from vidhost.pipeline.probing import MediaProber, ProbeConfig
from vidhost.pipeline.runner import Handler, TaskRunner
from vidhost.pipeline.thumbnails import RenderGate
from vidhost.pipeline.transcode import (
    PARTS,
    AudioEncoder,
    ChunkEncoder,
    LadderProgress,
    SourceFiles,
    TranscodeConfig,
    Transcoder,
    load_plan,
)
from vidhost.process import sweep_stale_tmp
from vidhost.settings import Settings
from vidhost.storage.local import LocalStorage
from vidhost.storage.s3 import S3Config, S3Storage
from vidhost.storage.signed_urls import LocalSignedUploads, UrlSigner, derive_secret
from vidhost.uploads.cleanup import expired_upload_sweeper
from vidhost.uploads.locks import UploadLocks
from vidhost.uploads.port import StoreComposer, UploadStore
from vidhost.uploads.repository import UploadRepository
from vidhost.uploads.s3store import S3Store
from vidhost.uploads.service import UploadConfig, UploadService
from vidhost.uploads.store import FileStore


def make_storage(settings: Settings) -> Storage:
    if settings.storage == "local":
        return LocalStorage(settings.storage_dir)
    if settings.storage == "s3":
        return S3Storage(s3_config(settings), settings.tmp_dir)
    raise ValueError(f"storage backend {settings.storage!r} is not available")


def s3_config(settings: Settings) -> S3Config:
    return S3Config(
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        public_endpoint_url=settings.s3_public_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        multipart_threshold=settings.multipart_threshold,
        part_size=settings.multipart_part_size,
    )


def probe_config(settings: Settings) -> ProbeConfig:
    """Media limits and probe-sandbox bounds: the same at upload and in every task."""
    return ProbeConfig(
        limits=MediaLimits(
            max_width=settings.max_video_width,
            max_height=settings.max_video_height,
            max_pixels=settings.max_video_pixels,
            max_duration=settings.max_duration_seconds,
            max_fps=settings.max_video_fps,
            max_streams=settings.max_video_streams,
        ),
        sandbox=ProcessLimits(
            timeout=settings.probe_timeout,
            memory_bytes=settings.probe_memory_mb * MIB,
            max_files=64,
            max_file_bytes=0,
        ),
    )


def make_upload_store(settings: Settings, storage: Storage) -> UploadStore:
    """Upload bytes in S3 multipart uploads with S3 storage (any node serves any upload),
    else in ``<data_dir>/uploads/`` (ADR 0070)."""
    if isinstance(storage, S3Storage):
        return S3Store(storage, part_size=settings.upload_part_size)
    return FileStore(settings.uploads_dir)


def make_upload_service(settings: Settings, engine: Engine, videos: VideoService) -> UploadService:
    """Resumable uploads: bytes in the upload-data store, records and locks in the DB, and
    the video domain's hooks as the completion callback."""
    return UploadService(
        UploadRepository(engine),
        StoreComposer.of(make_upload_store(settings, videos.storage)),
        UploadLocks(engine, ttl=settings.upload_lock_seconds),
        VideoUploadHooks(videos),
        UploadConfig(
            max_size=settings.tus_size_limit,
            expiry_seconds=settings.upload_expiry_seconds,
            chunk_size=settings.chunk_size,
        ),
    )


def make_direct_uploads(settings: Settings, videos: VideoService) -> DirectUploads:
    """Direct uploads with whatever the storage backend can do (resolved once, here)."""
    storage = videos.storage
    presigner: PresignedUploads
    multipart: MultipartUploads | None = None
    if isinstance(storage, S3Storage):
        presigner = storage
        multipart = storage
    else:
        signer = UrlSigner(derive_secret(settings.resolved_jwt_secret()))
        presigner = LocalSignedUploads(signer, default_max_size=settings.max_upload_bytes)
    return DirectUploads(
        videos,
        presigner,
        multipart,
        DirectConfig(
            url_ttl=settings.upload_url_ttl,
            max_upload_bytes=settings.max_upload_bytes,
            multipart_threshold=settings.multipart_threshold,
            part_size=settings.multipart_part_size,
        ),
    )


def make_url_guard(settings: Settings) -> UrlGuard:
    """The guard of every server-side fetch of a URL an API user supplied (ADR 0052)."""
    return UrlGuard(
        UrlPolicy.build(
            allow_private=settings.webhook_allow_private,
            networks=settings.webhook_allowed_networks,
            hosts=settings.webhook_allowed_hosts,
        )
    )


def make_downloads(storage: Storage) -> PresignedDownloads | None:
    return storage if isinstance(storage, S3Storage) else None


@dataclass
class Container:
    settings: Settings
    engine: Engine
    repo: SqlRepository
    storage: Storage
    bus: InMemoryBus
    celery: Celery
    videos: VideoService
    posts: PostService
    uploads: UploadService
    direct: DirectUploads
    """Direct-to-storage uploads (pre-signed URLs, multipart), see ``make_direct_uploads``."""
    downloads: PresignedDownloads | None
    """Pre-signed GETs, when the storage backend can sign them (S3)."""
    playback: PlaybackTokens
    """Signing keys and playback tokens (vidhost.domain.access asks it to verify tokens)."""
    sweepers: list[Sweeper] = field(default_factory=list)
    """Cleanup sweepers, run by ``vidhost cleanup`` and periodically by ``serve``."""
    url_guard: UrlGuard = field(default_factory=UrlGuard)
    """Checks URLs users give the server to fetch (webhook endpoints), see ``make_url_guard``."""
    render_gate: RenderGate = field(default_factory=lambda: RenderGate(2))
    """The bound on concurrent on-demand renders of this process."""
    _jwt_secret: str | None = field(default=None, init=False, repr=False)

    def jwt_secret(self) -> str:
        """The token secret, read once (it never changes while the process runs)."""
        if self._jwt_secret is None:
            self._jwt_secret = self.settings.resolved_jwt_secret()
        return self._jwt_secret

    def transcode_config(self) -> TranscodeConfig:
        s = self.settings
        return TranscodeConfig(
            ffmpeg=ffmpeg_path(s.ffmpeg),
            heights=s.ladder_heights,
            segment_seconds=s.segment_seconds,
            preset=s.x264_preset,
            timeout=s.ffmpeg_timeout,
            tmp_dir=s.tmp_dir,
            strict_decode=s.strict_decode,
            chunk_seconds=s.chunk_seconds,
            first_chunk_seconds=s.first_chunk_seconds,
            probe=probe_config(s),
            cache_sources=0 if isinstance(self.storage, LocalStorage) else 2,
        )

    def handlers(self, ladder: LadderProgress | None = None) -> dict[TaskKind, Handler]:
        s = self.settings
        config = self.transcode_config()
        sources = SourceFiles(self.storage, config.tmp_dir, config.cache_sources)
        transcode = Transcoder(self.videos, self.storage, config, ladder)
        return {
            TaskKind.TRANSCODE: (
                LadderFromEnhanced(transcode, self.storage) if s.enhance_feeds_ladder else transcode
            ),
            TaskKind.TRANSCODE_CHUNK: ChunkEncoder(self.storage, config, sources),
            TaskKind.TRANSCODE_AUDIO: AudioEncoder(self.storage, config, sources),
            TaskKind.METADATA_EXTRACTION: MetadataExtractor(
                self.storage,
                AnalysisConfig(
                    full_decode_max_frames=s.analysis_full_decode_max_frames,
                    max_samples=s.analysis_max_samples,
                    probe=config.probe,
                ),
            ),
            TaskKind.VIDEO_ENHANCEMENT: Enhancer(
                self.videos,
                self.storage,
                EnhanceConfig(
                    ffmpeg=config.ffmpeg,
                    mode=s.enhance,
                    default_preset=s.enhance_preset,
                    x264_preset=s.x264_preset,
                    crf=s.enhance_crf,
                    timeout=config.timeout,
                    tmp_dir=config.tmp_dir,
                    probe=config.probe,
                ),
            ),
        }

    def task_runner(self) -> TaskRunner:
        ladder = LadderProgress(self.videos, self.storage, on_finished=transcode_finished)
        return TaskRunner(
            self.videos,
            self.handlers(ladder),
            stale_after=self.settings.task_stale_after,
            heartbeat_interval=self.settings.task_heartbeat_interval,
            on_completed={kind: ladder.part_done for kind in PARTS},
            on_failed={kind: ladder.part_failed for kind in PARTS},
        )

    def close(self) -> None:
        self.engine.dispose()


def build_container(
    settings: Settings, *, worker: bool = False, migrate_db: bool = True
) -> Container:
    """Everything vidhost needs, from settings. ``worker=True`` registers the task handlers."""
    settings.prepare_dirs()
    sweep_stale_tmp(settings.tmp_root)  # what dead processes left behind (ADR 0071)
    engine = make_engine(settings.resolved_database_url)
    if migrate_db:
        migrate(engine)
    repo = SqlRepository(engine)
    install_publisher(settings, repo)
    storage = make_storage(settings)
    holder: dict[str, Callable[[str, str, int], None]] = {}

    def duration_of(video_id: str, kind: str, part: int) -> float | None:
        """Seconds of media one run of the task encodes (the speed metric's numerator)."""
        if kind in (TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO):
            try:
                plan = load_plan(storage, video_id)
            except MediaError:
                return None
            if kind == TaskKind.TRANSCODE_AUDIO:
                return plan.seconds(plan.total_frames)
            if not 0 <= part < len(plan.chunks):
                return None
            start, end = plan.chunk_frames(plan.chunks[part])
            return plan.seconds(end - start)
        if kind == TaskKind.TRANSCODE:
            return None  # it plans; its parts encode
        video = repo.get_video(video_id)
        return video.duration if video is not None else None

    def run(video_id: str, kind: str, part: int = 0) -> None:
        holder["run"](video_id, kind, part)

    celery = make_celery(settings, run if worker else None)
    videos = VideoService(
        repo,
        storage,
        CeleryJobQueue(celery),
        MediaProber(probe_config(settings)),
        Limits(
            max_upload_bytes=settings.max_upload_bytes,
            max_duration_seconds=settings.max_duration_seconds,
        ),
        planner=make_planner(
            mode=settings.enhance,
            default_preset=settings.enhance_preset,
            feeds_ladder=settings.enhance_feeds_ladder,
        ),
    )
    posts = PostService(SqlPostRepository(engine), videos)
    uploads = make_upload_service(settings, engine, videos)
    direct = make_direct_uploads(settings, videos)
    container = Container(
        settings,
        engine,
        repo,
        storage,
        InMemoryBus(),
        celery,
        videos,
        posts,
        uploads,
        direct,
        make_downloads(storage),
        PlaybackTokens(SqlSigningKeyRepository(engine)),
        url_guard=make_url_guard(settings),
        render_gate=RenderGate(settings.max_concurrent_renders, wait=settings.render_queue_seconds),
    )
    container.sweepers.append(expired_upload_sweeper(uploads))
    container.sweepers.extend(direct_upload_sweepers(direct, settings.abandoned_after))
    videos.telemetry = ServiceMetrics()
    if worker:
        holder["run"] = instrumented(container.task_runner().run, duration_of)
    return container
