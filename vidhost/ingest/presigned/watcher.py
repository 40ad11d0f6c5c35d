"""Notices direct uploads that have landed in storage and starts their processing.

S3 gives vidhost no callback when a pre-signed PUT or multipart upload completes, so
``serve`` polls: every ``interval`` seconds it HEADs the source key of each direct upload
still waiting for its bytes. (S3 event notifications could replace polling; see
docs/direct-uploads.md.)
"""

from __future__ import annotations

import logging

from vidhost.ingest.presigned.service import DirectUploads
from vidhost.processing.periodic import Periodic

log = logging.getLogger(__name__)


class UploadWatcher(Periodic):
    def __init__(self, direct: DirectUploads, *, interval: float) -> None:
        def check() -> None:
            for video_id in direct.poll():
                log.info("direct upload %s arrived", video_id)

        super().__init__("vidhost-uploads", check, interval=interval)
