"""A vidhost video in the shape of a Cloudflare Stream video object.

One lifecycle, another vocabulary: ``created|uploading -> pendingupload``, ``uploaded ->
queued``, ``processing -> inprogress``, ``ready``, ``failed -> error``. What Cloudflare
keeps and vidhost has no column for (``creator``, ``allowedOrigins``,
``thumbnailTimestampPct``) lives in ``Video.options["cloudflare"]``; ``maxDurationSeconds``
is the domain's own per-video limit (``options["max_duration_seconds"]``, enforced by
``VideoService.accept_source``); ``requireSignedURLs`` is visibility ``private``
(otherwise ``unlisted``: open to whoever knows the uid, never listed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vidhost.core.access import PRIVATE, UNLISTED
from vidhost.core.clips import clip_of
from vidhost.core.lifecycle import VideoState
from vidhost.core.limits import user_metadata
from vidhost.core.models import Task, Video
from vidhost.core.videos import MAX_DURATION_OPTION
from vidhost.http.views import progress_of

S = VideoState
OPTIONS = "cloudflare"
"""``Video.options`` key of the Cloudflare-only fields."""

STATES = {
    S.CREATED: "pendingupload",
    S.UPLOADING: "pendingupload",
    S.UPLOADED: "queued",
    S.PROCESSING: "inprogress",
    S.READY: "ready",
    S.FAILED: "error",
}
FILTERS = {
    "pendingupload": [S.CREATED, S.UPLOADING],
    "downloading": [],
    "queued": [S.UPLOADED],
    "inprogress": [S.PROCESSING],
    "ready": [S.READY],
    "error": [S.FAILED],
}
"""``GET .../stream?status=``: the vidhost states of each Cloudflare state."""

REASONS = {
    "duration_too_long": "ERR_DURATION_EXCEED_CONSTRAINT",
    "not_a_video": "ERR_NON_VIDEO",
    "empty_file": "ERR_NON_VIDEO",
    "corrupt_media": "ERR_MALFORMED_VIDEO",
    "probe_failed": "ERR_MALFORMED_VIDEO",
    "probe_timeout": "ERR_MALFORMED_VIDEO",
}
"""vidhost error code -> Cloudflare ``errorReasonCode``; anything else is ``ERR_UNKNOWN``."""


def visibility(require_signed_urls: bool) -> str:
    return PRIVATE if require_signed_urls else UNLISTED


def stream_options(
    *,
    max_duration_seconds: int | None,
    creator: str | None,
    allowed_origins: list[str],
    thumbnail_pct: float | None,
) -> dict[str, Any]:
    """The ``Video.options`` a Cloudflare upload sets."""
    options: dict[str, Any] = {
        OPTIONS: {
            "creator": creator,
            "allowedOrigins": list(allowed_origins),
            "thumbnailTimestampPct": thumbnail_pct or 0,
        }
    }
    if max_duration_seconds is not None and max_duration_seconds > 0:
        options[MAX_DURATION_OPTION] = max_duration_seconds
    return options


def extras(video: Video) -> dict[str, Any]:
    value = video.options.get(OPTIONS)
    return value if isinstance(value, dict) else {}


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _pct(video: Video, tasks: list[Task]) -> str | None:
    """``pctComplete``: the share of the ladder stored (``vidhost.core.progress``), as a
    string as Cloudflare sends it; "100.000000" only once every rendition is stored, while
    ``readyToStream`` is true from the moment the video plays. None before encoding."""
    if video.state not in (S.PROCESSING, S.READY):
        return None
    return f"{progress_of(video, tasks):.6f}"


def video_object(base: str, video: Video, tasks: list[Task]) -> dict[str, Any]:
    """The Cloudflare video object (``GET .../stream/{uid}`` and the webhook body)."""
    ready = video.state is S.READY
    failed = video.state is S.FAILED
    state = STATES.get(video.state, "error")
    extra = extras(video)
    clip = clip_of(video)
    accepted = [t.created_at for t in tasks]
    max_duration = video.options.get(MAX_DURATION_OPTION)
    status: dict[str, Any] = {
        "state": state,
        "pctComplete": _pct(video, tasks),
        "errorReasonCode": REASONS.get(video.error_code or "", "ERR_UNKNOWN") if failed else "",
        "errorReasonText": (video.error_message or "") if failed else "",
    }
    known = video.duration is not None and state not in ("pendingupload", "error")
    return {
        "uid": video.id,
        "creator": extra.get("creator"),
        "thumbnail": f"{base}/{video.id}/thumbnails/thumbnail.jpg",
        "thumbnailTimestampPct": extra.get("thumbnailTimestampPct", 0),
        "readyToStream": ready,
        "readyToStreamAt": _time(video.ready_at) if ready else None,
        "status": status,
        "meta": user_metadata(video.metadata),
        "created": _time(video.created_at),
        "modified": _time(video.updated_at),
        "scheduledDeletion": _time(video.delete_at),
        "size": video.size_bytes if video.size_bytes is not None else 0,
        "preview": f"{base}/videos/{video.id}",
        "allowedOrigins": list(extra.get("allowedOrigins") or []),
        "requireSignedURLs": video.visibility == PRIVATE,
        "uploaded": _time(min(accepted)) if accepted else None,
        "uploadExpiry": _time(video.upload_expires_at),
        "maxSizeBytes": video.declared_size,
        "maxDurationSeconds": max_duration if isinstance(max_duration, int) else -1,
        "duration": video.duration if known and video.duration is not None else -1,
        "input": {
            "width": video.width if video.width is not None else -1,
            "height": video.height if video.height is not None else -1,
        },
        "playback": {
            "hls": f"{base}/{video.id}/manifest/video.m3u8",
            "dash": f"{base}/{video.id}/manifest/video.mpd",
        },
        "watermark": None,
        "liveInput": None,
        "clippedFrom": clip["source"] if clip else None,
    }
