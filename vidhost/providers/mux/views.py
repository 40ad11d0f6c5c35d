"""Mux's object shapes: assets, direct uploads, playback ids (``{"data": ...}`` is added by
the routes). Times are Unix seconds as strings, as Mux sends them."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from vidhost.core.clips import clip_of
from vidhost.core.lifecycle import VideoState
from vidhost.core.limits import max_short_side, normalizes_audio
from vidhost.core.models import Task, Video
from vidhost.core.progress import ladder_percent, ladder_stored, transcode_of
from vidhost.core.quality import TIERS, video_tier
from vidhost.core.static_renditions import StaticRendition
from vidhost.providers.mux.playback_ids import PlaybackId
from vidhost.providers.mux.static_rendition_views import static_renditions_view
from vidhost.providers.mux.uploads import MuxUpload, UploadStatus

S = VideoState
MP4_SUPPORT = ("standard", "none", "capped-1080p", "audio-only", "audio-only,capped-1080p")
MASTER_ACCESS = ("temporary", "none")
VIDEO_QUALITY = TIERS
ASSET_SETTINGS = (
    "playback_policy",
    "playback_policies",
    "passthrough",
    "mp4_support",
    "master_access",
    "video_quality",
    "encoding_tier",
    "max_resolution_tier",
    "normalize_audio",
    "test",
    "static_renditions",
    "meta",
)
"""The ``new_asset_settings`` an upload keeps and echoes; other keys are ignored."""


def unix(at: datetime) -> str:
    return str(int(at.timestamp()))


def asset_status(video: Video) -> str:
    if video.state is S.READY:
        return "ready"
    if video.state is S.FAILED:
        return "errored"
    return "preparing"


def asset_progress(video: Video, tasks: list[Task]) -> dict[str, Any]:
    """Mux's ``progress`` object: ``ingesting`` (0) until processing starts, ``transcoding``
    with the share of the ladder stored (also once ``status`` is ``ready``: the asset plays
    while its other renditions are encoded), ``completed`` (100) once every rendition is
    stored, ``errored`` (-1, as Mux sends it)."""
    if video.state is S.FAILED:
        return {"state": "errored", "progress": -1}
    if video.state not in (S.PROCESSING, S.READY):
        return {"state": "ingesting", "progress": 0}
    transcode = transcode_of(tasks)
    if ladder_stored(video, transcode):
        return {"state": "completed", "progress": 100}
    return {"state": "transcoding", "progress": ladder_percent(video, transcode)}


AUDIO_ONLY_STORED = "Audio only"
AUDIO_ONLY_TIER = "audio-only"


def aspect_ratio(width: int | None, height: int | None) -> str | None:
    if not width or not height:
        return None
    ratio = Fraction(width, height)
    return f"{ratio.numerator}:{ratio.denominator}"


def _resolution(
    width: int | None, height: int | None, cap: int | None = None, ceiling: int | None = None
) -> tuple[str | None, str | None]:
    """(max_stored_resolution, resolution_tier) as Mux names them; ``cap``: the asset's
    ``max_resolution_tier``; ``ceiling``: the short side of the highest rung stored, once the
    ladder is planned (the server's ``max_resolution`` may stop it lower)."""
    if not width or not height:
        return None, None
    short = min(width, height, cap or width, ceiling or width)
    stored = "SD" if short < 540 else "HD" if short <= 720 else "FHD" if short <= 1080 else "UHD"
    tier = (
        "720p"
        if short <= 720
        else "1080p"
        if short <= 1080
        else "1440p"
        if short <= 1440
        else "2160p"
    )
    return stored, tier


def playback_id_view(pid: PlaybackId) -> dict[str, Any]:
    return {"id": pid.id, "policy": pid.policy}


def _stored_size(video: Video) -> tuple[int | None, int | None]:
    """The largest picture stored: the top rendition's (the ladder, ADR 0045), the
    source's before there is a ladder."""
    top = max(video.renditions, key=lambda r: (r.height * r.width, r.bitrate), default=None)
    if top is not None:
        return top.width, top.height
    return video.width, video.height


def _tracks(video: Video) -> list[dict[str, Any]]:
    tracks: list[dict[str, Any]] = []
    width, height = _stored_size(video)
    if width and height:
        tracks.append(
            {
                "type": "video",
                "id": f"{video.id}-video",
                "max_width": width,
                "max_height": height,
                "max_frame_rate": video.fps,
                "duration": video.duration,
                "status": "ready" if video.state is S.READY else "preparing",
            }
        )
    if video.audio_codec:
        tracks.append(
            {
                "type": "audio",
                "id": f"{video.id}-audio",
                "duration": video.duration,
                "status": "ready" if video.state is S.READY else "preparing",
            }
        )
    return tracks


def asset_meta(meta: object, title: str | None) -> dict[str, Any] | None:
    """Mux's ``meta`` with the video's title: the one a Mux update or a native edit
    (``PATCH /api/videos/{id}``, the web app's form) wrote last. A Mux ``meta.title`` longer
    than the video's 500 characters is shown whole while the video's is its start."""
    out = dict(meta) if isinstance(meta, dict) else {}
    stored = out.get("title")
    if title != (stored[:500] if isinstance(stored, str) and stored else None):
        if title:
            out["title"] = title
        else:
            out.pop("title", None)
    return out or None


def asset_view(
    video: Video,
    playback_ids: list[PlaybackId],
    upload: MuxUpload | None,
    tasks: list[Task],
    statics: list[StaticRendition] | None = None,
) -> dict[str, Any]:
    """The asset; ``tasks`` are the video's (its ``transcode`` task gives ``progress``)."""
    settings = upload.new_asset_settings if upload else {}
    settings = {**settings, **dict(video.metadata.get("mux") or {})}
    top = max((min(r.width, r.height) for r in video.renditions), default=None)
    stored, tier = _resolution(video.width, video.height, max_short_side(video), top)
    if video.audio_only:  # as Mux names an audio-only asset's (ADR 0066)
        stored, tier = AUDIO_ONLY_STORED, AUDIO_ONLY_TIER
    status = asset_status(video)
    clip = clip_of(video)
    view: dict[str, Any] = {
        "id": video.id,
        "created_at": unix(video.created_at),
        "status": status,
        "duration": video.duration,
        "aspect_ratio": aspect_ratio(video.width, video.height),
        "max_stored_resolution": stored,
        "resolution_tier": tier,
        "max_stored_frame_rate": video.fps,
        "encoding_tier": settings.get("encoding_tier") or "smart",
        "max_resolution_tier": settings.get("max_resolution_tier") or "1080p",
        "video_quality": settings.get("video_quality")
        if settings.get("video_quality") in VIDEO_QUALITY
        else video_tier(video),
        "tracks": _tracks(video),
        "playback_ids": [playback_id_view(p) for p in playback_ids],
        "passthrough": settings.get("passthrough"),
        "meta": asset_meta(settings.get("meta"), video.title),
        "upload_id": upload.id if upload else None,
        "mp4_support": settings.get("mp4_support")
        if settings.get("mp4_support") in MP4_SUPPORT
        else "none",
        "master_access": "none",
        "ingest_type": _ingest_type(video, upload),
        "source_asset_id": clip["source"] if clip else None,
        "test": bool(settings.get("test") or (upload.test if upload else False)),
        "normalize_audio": normalizes_audio(video),
        "is_live": False,
        "progress": asset_progress(video, tasks),
        "static_renditions": static_renditions_view(statics or []),
    }
    if status == "errored":
        view["errors"] = {
            "type": video.error_code or "invalid_input",
            "messages": [video.error_message or "the asset could not be processed"],
        }
    return {k: v for k, v in view.items() if v is not None}


def _ingest_type(video: Video, upload: MuxUpload | None) -> str:
    if upload is not None:
        return "on_demand_direct_upload"
    return "on_demand_clip" if clip_of(video) is not None else "on_demand_url"


def upload_view(upload: MuxUpload, status: UploadStatus, url: str | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": upload.id,
        "timeout": upload.timeout,
        "status": status.status,
        "new_asset_settings": upload.new_asset_settings,
        "cors_origin": upload.cors_origin,
        "test": upload.test,
    }
    if url is not None:
        view["url"] = url
    if status.asset_id is not None:
        view["asset_id"] = status.asset_id
    if status.error is not None:
        view["error"] = status.error
    return {k: v for k, v in view.items() if v is not None}
