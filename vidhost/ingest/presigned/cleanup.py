"""Cleanup sweepers for direct-to-storage uploads.

- ``abandoned_record``: initialised (``/api/videos/init`` or ``upload-url``) but never
  uploaded, older than ``abandoned_after`` and with an expired URL; ``stalled_upload`` the
  same for a record left in ``uploading`` (a signed PUT that broke off) untouched for
  ``abandoned_after``.
- ``incomplete_multipart``: S3 multipart uploads started more than ``abandoned_after`` ago.
- ``orphaned_object``: objects under ``videos/`` whose video has no live record.

A record whose source object is already in storage is never removed (the upload finished;
the watcher processes it), and removal is a conditional update on the state the sweeper saw,
so an upload that begins or completes meanwhile wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from vidhost.core.layout import VIDEOS, video_id_of
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, present
from vidhost.core.ports import MultipartUploads
from vidhost.ingest.presigned.service import DirectUploads
from vidhost.processing.sweepers import Removal, Sweeper

log = logging.getLogger(__name__)

PREFIX = VIDEOS


def _has_source(direct: DirectUploads, video: Video) -> bool:
    if video.source_key is None:
        return False
    try:
        direct.storage.stat(video.source_key)
    except FileNotFoundError:
        return False
    return True


def abandoned_records(direct: DirectUploads, abandoned_after: float) -> Sweeper:
    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        cutoff = now - timedelta(seconds=abandoned_after)
        active_multipart = _recent_multipart_keys(direct.multipart, cutoff)
        removed: list[Removal] = []
        for video in direct.pending():
            assert video.upload_expires_at is not None
            if video.upload_expires_at > now:
                continue  # the URL still works: an upload may start at any moment
            if video.state is VideoState.CREATED:
                if video.created_at > cutoff:
                    continue
                reason = "abandoned_record"
            else:
                if video.updated_at > cutoff:
                    continue
                reason = "stalled_upload"
            if video.source_key in active_multipart or _has_source(direct, video):
                continue
            if dry_run or direct.discard(video, reason):
                removed.append(Removal("video", video.id, reason))
        return removed

    return sweep


def _recent_multipart_keys(mp: MultipartUploads | None, cutoff: datetime) -> set[str]:
    if mp is None:
        return set()
    return {u.key for u in mp.list_multipart(PREFIX) if u.initiated > cutoff}


def incomplete_multipart(mp: MultipartUploads, abandoned_after: float) -> Sweeper:
    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        cutoff = now - timedelta(seconds=abandoned_after)
        removed: list[Removal] = []
        for upload in mp.list_multipart(PREFIX):
            if upload.initiated > cutoff:
                continue
            if not dry_run:
                mp.abort_multipart(upload.key, upload.upload_id)
            removed.append(
                Removal(
                    "multipart_upload", f"{upload.key}#{upload.upload_id}", "incomplete_multipart"
                )
            )
        return removed

    return sweep


def orphaned_objects(
    direct: DirectUploads, abandoned_after: float, is_live: Callable[[str], bool] | None = None
) -> Sweeper:
    """Objects older than ``abandoned_after`` under ``videos/{id}/`` with no live record."""

    def live(video_id: str) -> bool:
        return present(direct.videos.find(video_id))

    check = is_live or live

    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        cutoff = now - timedelta(seconds=abandoned_after)
        verdicts: dict[str, bool] = {}
        removed: list[Removal] = []
        for info in list(direct.storage.list(PREFIX)):
            video_id = video_id_of(info.key) or ""
            if video_id not in verdicts:
                verdicts[video_id] = check(video_id)
            if verdicts[video_id] or info.modified > cutoff:
                continue
            if not dry_run:
                direct.storage.delete(info.key)
            removed.append(Removal("object", info.key, "orphaned_object"))
        return removed

    return sweep


def direct_upload_sweepers(direct: DirectUploads, abandoned_after: float) -> list[Sweeper]:
    sweepers = [abandoned_records(direct, abandoned_after)]
    if direct.multipart is not None:
        sweepers.append(incomplete_multipart(direct.multipart, abandoned_after))
    sweepers.append(orphaned_objects(direct, abandoned_after))
    return sweepers
