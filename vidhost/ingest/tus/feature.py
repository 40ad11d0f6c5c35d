"""Resumable uploads: tus and upload sessions on the upload-data store, and the
sweeper of expired uploads."""

from __future__ import annotations

from vidhost.app.feature import Feature
from vidhost.app.wiring import Container, make_upload_service
from vidhost.ingest import sessions as upload_sessions
from vidhost.ingest.tus import routes as tus
from vidhost.ingest.tus.cleanup import expired_upload_sweeper


def install(c: Container) -> None:
    c.uploads = make_upload_service(c.settings, c.engine, c.videos)
    c.sweepers.append(expired_upload_sweeper(c.uploads))


FEATURE = Feature("resumable", install=install, routers=(tus.router, upload_sessions.router))
