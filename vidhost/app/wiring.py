"""The composition root: settings choose adapters here; ``build_container`` builds the core
and then lets every feature it is handed install its services (ADR 0074, ADR 0076).

This module imports no feature: the entry points (``vidhost.app.main``) hand it
``vidhost.app.features.FEATURES``. Nothing outside ``vidhost.app`` imports it, and nothing
outside this module and the features' ``feature.py`` modules builds a service
(``tests/unit/architecture/test_composition_root.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.signing_keys import SqlSigningKeyRepository
from vidhost.adapters.net.download import GuardedFetcher
from vidhost.adapters.net.url_guard import UrlGuard, UrlPolicy
from vidhost.adapters.storage.local import LocalStorage
from vidhost.adapters.storage.s3 import S3Config, S3Storage
from vidhost.adapters.storage.signed_urls import UrlSigner, derive_secret
from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.app.settings import Settings
from vidhost.core.acceptance import Limits
from vidhost.core.planner import make_planner
from vidhost.core.ports import Storage, capabilities_of
from vidhost.core.videos import VideoService
from vidhost.delivery.playback_tokens import PlaybackTokens
from vidhost.media.process import sweep_stale_tmp
from vidhost.notify.events.memory import InMemoryBus
from vidhost.notify.events.wakeup import install_publisher
from vidhost.processing.broker.celery_app import make_celery
from vidhost.processing.broker.queue import CeleryJobQueue
from vidhost.processing.handlers import probe_config
from vidhost.processing.probing import MediaProber

__all__ = ["build_container", "build_core", "make_storage", "probe_config", "s3_config"]


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


def make_url_guard(settings: Settings) -> UrlGuard:
    """The guard of every server-side fetch of a URL an API user supplied (ADR 0052)."""
    return UrlGuard(
        UrlPolicy.build(
            allow_private=settings.webhook_allow_private,
            networks=settings.webhook_allowed_networks,
            hosts=settings.webhook_allowed_hosts,
        )
    )


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
    capabilities = capabilities_of(storage)  # declared by the adapter, read once
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
        capabilities.presigned_downloads,
        capabilities,
        PlaybackTokens(SqlSigningKeyRepository(engine)),
        worker=worker,
        url_guard=make_url_guard(settings),
    )
    container.queue = queue
    container.url_fetcher = GuardedFetcher(container.url_guard)
    container.url_signer = UrlSigner(derive_secret(container.jwt_secret()))
    return container


def build_container(
    settings: Settings,
    features: Sequence[Feature],
    *,
    worker: bool = False,
    migrate_db: bool = True,
) -> Container:
    """Everything vidhost needs, from settings: the core, then each feature's ``install`` in
    the order given (``vidhost.app.features.FEATURES`` for ``serve``, ``worker``,
    ``cleanup`` and the tests); ``worker=True`` registers the task handlers."""
    container = build_core(settings, worker=worker, migrate_db=migrate_db)
    for feature in features:
        feature.install(container)
    return container
