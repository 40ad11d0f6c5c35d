"""Resumable uploads: tus and upload sessions on the upload-data store, and the
sweeper of expired uploads."""

from __future__ import annotations

from vidhost.api import tus, upload_sessions
from vidhost.features.feature import Feature
from vidhost.uploads.cleanup import expired_upload_sweeper
from vidhost.wiring import Container, make_upload_service


def install(c: Container) -> None:
    c.uploads = make_upload_service(c.settings, c.engine, c.videos)
    c.sweepers.append(expired_upload_sweeper(c.uploads))


FEATURE = Feature("resumable", install=install, routers=(tus.router, upload_sessions.router))
