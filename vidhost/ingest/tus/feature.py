"""Resumable uploads: tus and upload sessions on the upload-data store, and the
sweeper of expired uploads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.app.settings import Settings
from vidhost.core.ports import StorageCapabilities
from vidhost.ingest.tus.cleanup import expired_upload_sweeper
from vidhost.ingest.tus.locks import UploadLocks
from vidhost.ingest.tus.port import StoreComposer, UploadStore
from vidhost.ingest.tus.repository import UploadRepository
from vidhost.ingest.tus.service import UploadConfig, UploadService
from vidhost.ingest.tus.stores.file import FileStore
from vidhost.ingest.tus.stores.s3 import S3Parts, S3Store
from vidhost.ingest.video_hooks import VideoUploadHooks

if TYPE_CHECKING:
    from fastapi import APIRouter


def make_upload_store(settings: Settings, capabilities: StorageCapabilities) -> UploadStore:
    """Upload bytes in the backend's multipart uploads when it declares them and can store
    parts server-side (S3: any node serves any upload), else in ``<data_dir>/uploads/``
    (ADR 0070)."""
    parts = capabilities.multipart
    if isinstance(parts, S3Parts):  # a Protocol (what the store needs), not a class
        return S3Store(parts, part_size=settings.upload_part_size)
    return FileStore(settings.uploads_dir)


def install(c: Container) -> None:
    """Bytes in the upload-data store, records and locks in the DB, and the video domain's
    hooks as the completion callback."""
    s = c.settings
    c.uploads = UploadService(
        UploadRepository(c.engine),
        StoreComposer.of(make_upload_store(s, c.storage_capabilities)),
        UploadLocks(c.engine, ttl=s.upload_lock_seconds),
        VideoUploadHooks(c.videos),
        UploadConfig(
            max_size=s.tus_size_limit,
            expiry_seconds=s.upload_expiry_seconds,
            chunk_size=s.chunk_size,
        ),
    )
    c.sweepers.append(expired_upload_sweeper(c.uploads))


def routers() -> Sequence[APIRouter]:
    from vidhost.ingest import sessions
    from vidhost.ingest.tus import routes

    return (routes.router, sessions.router)


FEATURE = Feature("resumable", install=install, routers=routers)
