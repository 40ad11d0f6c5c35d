"""Direct uploads (``init``, ``upload-url``): pre-signed URLs or S3 multipart, the
vidhost-signed PUT with local storage, the watcher that finds finished S3 uploads,
and their sweepers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.adapters.storage.signed_urls import LocalSignedUploads
from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.core.ports import PresignedUploads
from vidhost.ingest.presigned.cleanup import direct_upload_sweepers
from vidhost.ingest.presigned.service import DirectConfig, DirectUploads
from vidhost.ingest.presigned.watcher import UploadWatcher

if TYPE_CHECKING:
    from fastapi import APIRouter


def make_direct_uploads(c: Container) -> DirectUploads:
    """Direct uploads with whatever the storage backend declares it can do: its own
    pre-signed PUTs and multipart uploads (S3), else PUT URLs vidhost signs and serves."""
    s = c.settings
    caps = c.storage_capabilities
    presigner: PresignedUploads = caps.presigned_uploads or LocalSignedUploads(
        c.url_signer, default_max_size=s.max_upload_bytes
    )
    return DirectUploads(
        c.videos,
        presigner,
        caps.multipart,
        DirectConfig(
            url_ttl=s.upload_url_ttl,
            max_upload_bytes=s.max_upload_bytes,
            multipart_threshold=s.multipart_threshold,
            part_size=s.multipart_part_size,
        ),
    )


def install(c: Container) -> None:
    c.direct = make_direct_uploads(c)
    c.sweepers.extend(direct_upload_sweepers(c.direct, c.settings.abandoned_after))


def background(c: Container) -> Sequence[Background]:
    return [UploadWatcher(c.direct, interval=c.settings.upload_watch_interval)]


def routers() -> Sequence[APIRouter]:
    from vidhost.ingest.presigned import routes, signed_put

    return (routes.router, signed_put.router)


FEATURE = Feature("direct_uploads", install=install, routers=routers, background=background)
