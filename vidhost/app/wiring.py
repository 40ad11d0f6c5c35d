"""The composition root: settings choose adapters here, ``build_container`` builds the core
and then lets every feature of ``vidhost.app.features.FEATURES`` install its services (ADR 0074).

Nothing outside this module and ``vidhost/features/`` builds a service
(``tests/unit/test_composition_root.py``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from celery import Celery
from sqlalchemy import Engine

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.signing_keys import SqlSigningKeyRepository
from vidhost.adapters.metrics import transcode_finished
from vidhost.adapters.net.url_guard import UrlGuard, UrlPolicy
from vidhost.adapters.storage.local import LocalStorage
from vidhost.adapters.storage.s3 import S3Config, S3Storage
from vidhost.adapters.storage.signed_urls import LocalSignedUploads, UrlSigner, derive_secret
from vidhost.app.settings import Settings
from vidhost.core.lifecycle import TaskKind
from vidhost.core.planner import make_planner
from vidhost.core.ports import MultipartUploads, PresignedDownloads, PresignedUploads, Storage
from vidhost.core.videos import Limits, VideoService
from vidhost.delivery.playback_tokens import PlaybackTokens
from vidhost.delivery.posts.service import PostService
from vidhost.delivery.thumbnails.renderer import MediaRenderer
from vidhost.ingest.presigned.service import DirectConfig, DirectUploads
from vidhost.ingest.tus.locks import UploadLocks
from vidhost.ingest.tus.port import StoreComposer, UploadStore
from vidhost.ingest.tus.repository import UploadRepository
from vidhost.ingest.tus.service import UploadConfig, UploadService
from vidhost.ingest.tus.stores.file import FileStore
from vidhost.ingest.tus.stores.s3 import S3Store
from vidhost.ingest.video_hooks import VideoUploadHooks
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.probe import MediaLimits
from vidhost.media.process import sweep_stale_tmp
from vidhost.media.sandbox import MIB, ProcessLimits
from vidhost.notify.events.memory import InMemoryBus
from vidhost.notify.events.wakeup import install_publisher
from vidhost.notify.realtime.client_videos import ClientVideos
from vidhost.notify.realtime.hub import EventHub
from vidhost.notify.webhooks.formats import WebhookFormats
from vidhost.notify.webhooks.store import WebhookStore
from vidhost.processing.analysis import AnalysisConfig, MetadataExtractor
from vidhost.processing.broker.celery_app import make_celery
from vidhost.processing.broker.queue import CeleryJobQueue
from vidhost.processing.enhance import EnhanceConfig, Enhancer, LadderFromEnhanced
from vidhost.processing.plans import PlanCache
from vidhost.processing.probing import MediaProber, ProbeConfig
from vidhost.processing.runner import Handler, TaskRunner
from vidhost.processing.sweepers import Sweeper
from vidhost.processing.transcode import (
    PARTS,
    AudioEncoder,
    ChunkEncoder,
    LadderProgress,
    SourceFiles,
    TranscodeConfig,
    Transcoder,
)

if TYPE_CHECKING:
    from vidhost.http.on_demand import SegmentWaiters
    from vidhost.providers.mux.access_tokens import AccessTokens
    from vidhost.providers.mux.service import MuxService
    from vidhost.providers.mux.store import SqlMuxStore
    from vidhost.web.signin import SignInCodes


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


def make_direct_uploads(
    settings: Settings, videos: VideoService, signer: UrlSigner
) -> DirectUploads:
    """Direct uploads with whatever the storage backend can do (resolved once, here)."""
    storage = videos.storage
    presigner: PresignedUploads
    multipart: MultipartUploads | None = None
    if isinstance(storage, S3Storage):
        presigner = storage
        multipart = storage
    else:
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
    """Everything a vidhost process uses, built once by ``build_container``: the core (fields
    set here) and what each feature installs (``init=False`` fields, named after it)."""

    settings: Settings
    engine: Engine
    repo: SqlRepository
    storage: Storage
    bus: InMemoryBus
    celery: Celery
    videos: VideoService
    downloads: PresignedDownloads | None
    """Pre-signed GETs, when the storage backend can sign them (S3)."""
    playback: PlaybackTokens
    """Signing keys and playback tokens (vidhost.core.access asks it to verify tokens)."""
    worker: bool = False
    """This process runs tasks (``vidhost worker``, or a test that does)."""
    sweepers: list[Sweeper] = field(default_factory=list)
    """Cleanup sweepers, run by ``vidhost cleanup`` and periodically by ``serve``."""
    url_guard: UrlGuard = field(default_factory=UrlGuard)
    """Checks URLs users give the server to fetch (webhook endpoints), see ``make_url_guard``."""
    queue: CeleryJobQueue = field(init=False, repr=False)
    """The broker queue the video service dispatches to (the reconciler also asks its depth)."""
    url_signer: UrlSigner = field(init=False, repr=False)
    """Signs the capability URLs vidhost serves itself (local signed PUTs, the Cloudflare
    form-upload and tus URLs), with a key derived from the server secret."""
    # --- installed by the features (vidhost/features/<name>.py) --------------------------
    direct: DirectUploads = field(init=False, repr=False)
    """``direct_uploads``: pre-signed URLs and multipart, see ``make_direct_uploads``."""
    uploads: UploadService = field(init=False, repr=False)
    """``resumable``: tus and upload sessions, see ``make_upload_service``."""
    posts: PostService = field(init=False, repr=False)
    """``posts``: ``/api/posts``."""
    plans: PlanCache = field(init=False, repr=False)
    """``videos``: segment plans of ready videos, kept a minute (on-demand segments)."""
    segment_waiters: SegmentWaiters = field(init=False, repr=False)
    """``videos``: the held requests for segments not stored yet (one future per key)."""
    renderer: MediaRenderer = field(init=False, repr=False)
    """``thumbnails``: on-demand stills, storyboards, previews (one render gate per process)."""
    client_videos: ClientVideos = field(init=False, repr=False)
    """``realtime``: a video's client (``/ws/{client_id}``), for the socket replay and the hub."""
    hub: EventHub = field(init=False, repr=False)
    """``realtime``: WebSocket fan-out of the bus's events."""
    webhook_store: WebhookStore = field(init=False, repr=False)
    """``webhooks``: endpoints, outbox and delivery log."""
    webhook_wake: threading.Event = field(init=False, repr=False)
    """``webhooks``: set it and the dispatcher looks at the outbox now (a resend)."""
    sign_in_codes: SignInCodes | None = field(init=False, repr=False, default=None)
    """``web``: one-time sign-in codes (embedded profile only)."""
    mux_store: SqlMuxStore = field(init=False, repr=False)
    """``mux``: Mux uploads, playback IDs and access tokens (rows)."""
    mux: MuxService = field(init=False, repr=False)
    """``mux``: the Mux Video surface's use cases over vidhost videos."""
    access_tokens: AccessTokens = field(init=False, repr=False)
    """``mux``: Basic-auth access tokens (hashed secrets)."""
    """``web``: one-time sign-in codes (embedded profile only)."""
    webhook_formats: WebhookFormats = field(init=False, repr=False)
    """``webhooks``: the body and signature formats this process serves (API surfaces add
    theirs in their own ``install``)."""
    _jwt_secret: str | None = field(default=None, init=False, repr=False)

    def jwt_secret(self) -> str:
        """The token secret, read once (it never changes while the process runs)."""
        if self._jwt_secret is None:
            self._jwt_secret = self.settings.resolved_jwt_secret()
        return self._jwt_secret

    def base_url(self) -> str:
        """Where links the server hands out point (webhook payloads, the sign-in link)."""
        return public_base_url(self.settings)

    def transcode_config(self) -> TranscodeConfig:
        s = self.settings
        return TranscodeConfig(
            ffmpeg=ffmpeg_path(s.ffmpeg),
            heights=s.ladder_heights,
            segment_seconds=s.segment_seconds,
            opening_seconds=s.opening_segments,
            preset=s.x264_preset,
            timeout=s.ffmpeg_timeout,
            tmp_dir=s.tmp_dir,
            strict_decode=s.strict_decode,
            chunk_seconds=s.chunk_seconds,
            first_chunk_seconds=s.first_chunk_seconds,
            packaging=s.segment_format,
            probe=probe_config(s),
            cache_sources=0 if isinstance(self.storage, LocalStorage) else 2,
        )

    def handlers(self, ladder: LadderProgress | None = None) -> dict[TaskKind, Handler]:
        s = self.settings
        config = self.transcode_config()
        sources = SourceFiles(self.storage, config.tmp_dir, config.cache_sources)
        ladder = ladder or LadderProgress(self.videos, self.storage)
        transcode = Transcoder(self.videos, self.storage, config, ladder)
        return {
            TaskKind.TRANSCODE: (
                LadderFromEnhanced(transcode, self.storage) if s.enhance_feeds_ladder else transcode
            ),
            TaskKind.TRANSCODE_CHUNK: ChunkEncoder(
                self.videos, self.storage, config, sources, ladder
            ),
            TaskKind.TRANSCODE_AUDIO: AudioEncoder(
                self.videos, self.storage, config, sources, ladder
            ),
            TaskKind.METADATA_EXTRACTION: MetadataExtractor(
                self.videos,
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


def public_base_url(settings: Settings) -> str:
    """Where URLs in webhook payloads point: ``VIDHOST_PUBLIC_URL``, else the address
    ``serve`` listens on (a wildcard bind is reached on loopback; set the public URL for
    others)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def build_core(settings: Settings, *, worker: bool = False, migrate_db: bool = True) -> Container:
    """The core every feature builds on: database, storage, broker, bus, the video service."""
    settings.prepare_dirs()
    sweep_stale_tmp(settings.tmp_root)  # what dead processes left behind (ADR 0071)
    engine = make_engine(settings.resolved_database_url)
    if migrate_db:
        migrate(engine)
    repo = SqlRepository(engine)
    install_publisher(settings, repo)
    storage = make_storage(settings)
    celery = make_celery(settings)  # the task itself is registered by the processing feature
    queue = CeleryJobQueue(celery)
    videos = VideoService(
        repo,
        storage,
        queue,
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
    container = Container(
        settings,
        engine,
        repo,
        storage,
        InMemoryBus(),
        celery,
        videos,
        make_downloads(storage),
        PlaybackTokens(SqlSigningKeyRepository(engine)),
        worker=worker,
        url_guard=make_url_guard(settings),
    )
    container.queue = queue
    container.url_signer = UrlSigner(derive_secret(container.jwt_secret()))
    return container


def build_container(
    settings: Settings, *, worker: bool = False, migrate_db: bool = True
) -> Container:
    """Everything vidhost needs, from settings: the core, then each feature's ``install`` in
    the order of ``FEATURES``. ``serve``, ``worker``, ``cleanup`` and the tests all call it;
    ``worker=True`` registers the task handlers."""
    from vidhost.app.features import FEATURES  # they build on this module's adapter choices

    container = build_core(settings, worker=worker, migrate_db=migrate_db)
    for feature in FEATURES:
        feature.install(container)
    return container
