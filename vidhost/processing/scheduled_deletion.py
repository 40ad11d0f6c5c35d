"""Videos deleted by themselves at a time (ADR 0094): Mux ``test`` assets (24 h after their
creation) and Cloudflare ``scheduledDeletion``. One sweeper on the cleanup clock
(``Container.sweepers``, run by ``serve``'s cleanup loop and ``vidhost cleanup``), not a
timer per video: ``videos.delete_at`` is the schedule, so it survives restarts."""

from __future__ import annotations

from datetime import datetime

from vidhost.core.models import present
from vidhost.core.videos import VideoService
from vidhost.processing.sweepers import Removal, Sweeper

REASON = "scheduled_deletion"


def scheduled_deletion_sweeper(videos: VideoService) -> Sweeper:
    """Delete every video whose ``delete_at`` has passed (as ``DELETE`` does: its objects,
    its unfinished tasks, the ``deleted`` event and webhooks)."""

    def sweep(now: datetime, dry_run: bool) -> list[Removal]:
        removed = []
        for video_id in videos.due_for_deletion(now):
            video = videos.find(video_id)  # the schedule may have been lifted meanwhile
            if not present(video) or video.delete_at is None or video.delete_at > now:
                continue
            if not dry_run:
                videos.delete(video_id)
            removed.append(Removal("video", video_id, REASON))
        return removed

    return sweep
