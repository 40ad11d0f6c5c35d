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
        for upload in uploads.repo.expired(now):
            if dry_run:
                removed.append(Removal("upload", upload.id, REASON))
                continue
            # The DELETE re-checks expiry and the lock: a writer that just got in keeps it.
            if not uploads.repo.delete_if_expired(upload.id, now):
                continue
            # Its bytes: the local file, or (S3) its multipart upload aborted and its tails
            # deleted, from the state in the shared database: any node sweeps any upload.
            uploads.sweep_expired(upload)
            removed.append(Removal("upload", upload.id, REASON))
        return removed

    return sweep
