"""Domain events -> public webhook events, and their JSON bodies.

The body is ``{type, id, created_at, data}`` with ``data`` shaped like a Mux asset so an
upload-URL backend's ``handleVideoReady`` (``id``, ``playback_url``, ``thumbnail_url``,
``duration``, ``tracks[0].width/height/max_bitrate/codec``) and ``handleVideoError``
(``error_message``) work unchanged.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from vidhost.core.lifecycle import VideoState
from vidhost.core.models import (
    STATIC_RENDITION_CHANGED,
    TEXT_TRACK_CHANGED,
    VIDEO_NOTICE,
    VIDEO_STATE_CHANGED,
    DomainEvent,
    Video,
)
from vidhost.core.static_renditions import READY
from vidhost.core.vocabulary import UPLOAD_URL_STATUS

S = VideoState

STATE_EVENT: dict[VideoState, str] = {
    S.UPLOADED: "video.asset.created",
    S.PROCESSING: "video.asset.processing",
    S.READY: "video.asset.ready",
    S.FAILED: "video.asset.errored",
    S.DELETED: "video.asset.deleted",
}
UPLOAD_CREATED = "video.upload.created"


_NAMESPACE = uuid.UUID("6f1c1f1e-5b1a-4a53-9d3e-7a7c1d0e0b05")

DELIVERED_VIDEO_CODEC = "h264"
DELIVERED_AUDIO_CODEC = "aac"


def static_rendition_types(event: DomainEvent) -> list[str]:
    """``video.asset.static_rendition.{ready,errored,skipped}``, and
    ``video.asset.static_renditions.ready`` when it was the last one preparing (ADR 0065)."""
    status = event.data["status"]
    types = [f"video.asset.static_rendition.{status}"]
    if event.data.get("all_done") and status == READY:
        types.append("video.asset.static_renditions.ready")
    return types


def public_types(event: DomainEvent, *, first_of_video: bool) -> list[str]:
    """Public events for one domain event; ``first_of_video``: it created the record."""
    if event.type == STATIC_RENDITION_CHANGED:
        return static_rendition_types(event)
    if event.type == TEXT_TRACK_CHANGED:  # ADR 0068
        return [f"video.asset.track.{event.data['change']}"]
    if event.type == VIDEO_NOTICE:
        return [str(event.data["notice"])]
    if event.type != VIDEO_STATE_CHANGED:
        return []
    state = VideoState(event.data["state"])
    types = [UPLOAD_CREATED] if first_of_video else []
    if state in STATE_EVENT:
        types.append(STATE_EVENT[state])
    return types


def message_id(event_id: int, event_type: str) -> str:
    """Stable per (domain event, public type): the same on every retry and every endpoint."""
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{event_id}:{event_type}").hex


def _tracks(video: Video) -> list[dict[str, Any]]:
    if video.audio_only:  # ADR 0066: the audio track alone
        delivered = DELIVERED_AUDIO_CODEC if video.manifest_key else video.audio_codec
        return [{"type": "audio", "codec": delivered, "source_codec": video.audio_codec}]
    if video.width is None and not video.renditions:
        return []
    top = max(video.renditions, key=lambda r: (r.height, r.bitrate), default=None)
    tracks: list[dict[str, Any]] = [
        {
            "type": "video",
            "width": top.width if top else video.width,
            "height": top.height if top else video.height,
            "max_bitrate": top.bitrate if top else video.bitrate,
            "codec": DELIVERED_VIDEO_CODEC if top else video.video_codec,
            "source_codec": video.video_codec,
            "frame_rate": video.fps,
        }
    ]
    if video.audio_codec:
        tracks.append(
            {
                "type": "audio",
                "codec": DELIVERED_AUDIO_CODEC if top else video.audio_codec,
                "source_codec": video.audio_codec,
            }
        )
    return tracks


def build(
    event_type: str, event: DomainEvent, video: Video | None, base_url: str
) -> dict[str, Any]:
    if event.type == STATIC_RENDITION_CHANGED:
        return _static_rendition(event_type, event, base_url)
    if event.type == TEXT_TRACK_CHANGED:
        return _text_track(event_type, event, base_url)
    state = VideoState(event.data["state"])
    status = UPLOAD_URL_STATUS[state]
    data: dict[str, Any] = {
        "id": event.video_id,
        "status": status,
        "playback_url": None,
        "thumbnail_url": None,
        "duration": None,
        "tracks": [],
        "error_code": event.data.get("error_code"),
        "error_message": event.data.get("error_message"),
        "client_id": event.data.get("client_id"),
    }
    if video is not None:
        data["duration"] = video.duration
        data["tracks"] = _tracks(video)
        data["filename"] = video.filename
        data["metadata"] = video.metadata
        if state is S.READY and video.manifest_key:
            data["playback_url"] = f"{base_url}/stream/{video.id}/manifest"
        if state is S.READY and video.poster_key:
            data["thumbnail_url"] = f"{base_url}/stream/{video.id}/poster.jpg"
        if state is S.FAILED and not data["error_message"]:
            data["error_message"] = video.error_message
            data["error_code"] = data["error_code"] or video.error_code
    assert event.id is not None
    return {
        "type": event_type,
        "id": message_id(event.id, event_type),
        "created_at": event.at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def _static_rendition(event_type: str, event: DomainEvent, base_url: str) -> dict[str, Any]:
    """vidhost's body for a download that became ready, failed or was skipped."""
    name = event.data["name"]
    data: dict[str, Any] = {
        "id": event.video_id,
        "download": {
            "id": event.data["id"],
            "name": name,
            "status": event.data["status"],
            "url": f"{base_url}/stream/{event.video_id}/downloads/{name}",
        },
    }
    assert event.id is not None
    return {
        "type": event_type,
        "id": message_id(event.id, event_type),
        "created_at": event.at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def _text_track(event_type: str, event: DomainEvent, base_url: str) -> dict[str, Any]:
    """vidhost's body for a text track created, ready, errored or deleted (ADR 0068)."""
    d = event.data
    data: dict[str, Any] = {
        "id": event.video_id,
        "caption": {
            "id": d["id"],
            "language": d["language"],
            "name": d["name"],
            "closedCaptions": d["closed_captions"],
            "generated": d["generated"],
            "status": "deleted" if d["change"] == "deleted" else d["status"],
            "errorCode": d.get("error_code"),
            "url": f"{base_url}/api/videos/{event.video_id}/captions/{d['id']}.vtt",
        },
    }
    assert event.id is not None
    return {
        "type": event_type,
        "id": message_id(event.id, event_type),
        "created_at": event.at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=False, default=str)
