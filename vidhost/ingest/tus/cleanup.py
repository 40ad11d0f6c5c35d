"""Cleanup sweeper: expired, unfinished uploads (never one a request is writing), on
whatever store holds their bytes."""

from __future__ import annotations

from datetime import datetime

from vidhost.ingest.tus.service import UploadService
from vidhost.processing.sweepers import Removal, Sweeper

REASON = "expired_upload"


def expired_upload_sweeper(uploads: UploadService) -> Sweeper:
    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        removed: list[Removal] = []
        for upload in uploads.expired(now):
            if dry_run:
                removed.append(Removal("upload", upload.id, REASON))
                continue
            # A writer that just got in keeps it (the removal checks expiry and the lock).
            if not uploads.remove_expired(upload, now):
                continue
            removed.append(Removal("upload", upload.id, REASON))
        return removed

    return sweep
