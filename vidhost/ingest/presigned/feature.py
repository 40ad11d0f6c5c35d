"""Direct uploads (``init``, ``upload-url``): pre-signed URLs or S3 multipart, the
vidhost-signed PUT with local storage, the watcher that finds finished S3 uploads,
and their sweepers."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.app.feature import Background, Feature
from vidhost.app.wiring import Container, make_direct_uploads
from vidhost.ingest.presigned import routes as direct
from vidhost.ingest.presigned import signed_put as signed_upload
from vidhost.ingest.presigned.cleanup import direct_upload_sweepers
from vidhost.ingest.presigned.watcher import UploadWatcher


def install(c: Container) -> None:
    c.direct = make_direct_uploads(c.settings, c.videos, c.url_signer)
    c.sweepers.extend(direct_upload_sweepers(c.direct, c.settings.abandoned_after))


def background(c: Container) -> Sequence[Background]:
    return [UploadWatcher(c.direct, interval=c.settings.upload_watch_interval)]


FEATURE = Feature(
    "direct_uploads",
    install=install,
    routers=(direct.router, signed_upload.router),
    background=background,
)
