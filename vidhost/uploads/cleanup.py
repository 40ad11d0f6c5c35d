"""Cleanup sweeper: expired, unfinished uploads (never one a request is writing)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from vidhost.domain.errors import Conflict, NotFound
from vidhost.jobs.cleanup import Removal, Sweeper
from vidhost.uploads.service import UploadService

REASON = "expired_upload"


def expired_upload_sweeper(uploads: UploadService) -> Sweeper:
    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        removed: list[Removal] = []
        for upload in uploads.repo.expired(now):
            if dry_run:
                removed.append(Removal("upload", upload.id, REASON))
                continue
            # The DELETE re-checks expiry and the lock: a writer that just got in keeps it.
            if not uploads.repo.delete_if_expired(upload.id, now):
                continue
            uploads.data.delete(upload.id)
            if upload.video_id is not None:
                with contextlib.suppress(Conflict, NotFound):
                    uploads.videos.delete(upload.video_id)
            removed.append(Removal("upload", upload.id, REASON))
        return removed

    return sweep
