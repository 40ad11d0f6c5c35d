"""Webhooks in Mux's format (an endpoint registered with ``"format": "mux"``).

Events: ``video.upload.asset_created``, ``video.upload.cancelled``, ``video.upload.errored``
(a file refused before it became an asset) (data: the upload), ``video.asset.created``,
``video.asset.ready``, ``video.asset.errored``, ``video.asset.deleted``,
``video.asset.updated`` (``PATCH``, ``master-access``), ``video.asset.master.ready`` (the
original's link, ADR 0093: at ``ready`` when granted before, or at a later grant) (data: the
asset, ``master`` included).
Body: ``type``, ``id`` (a UUID, stable across retries), ``object`` (``{type, id}``),
``environment``, ``data``, ``created_at``. Header: ``Mux-Signature: t=<unix>,v1=<hex
HMAC-SHA256(secret, "<t>.<body>")>``, the secret's UTF-8 bytes as key (what Mux's SDKs
verify); during a rotation a second ``v1`` from the previous secret follows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from vidhost.core.downloads import StaticRenditions
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import DomainEvent, Task, Video
from vidhost.core.webhook_signing import timestamped_hmac
from vidhost.providers.mux.master_access import ORIGINAL_READY, MasterAccess
from vidhost.providers.mux.static_rendition_views import file_view
from vidhost.providers.mux.store import SqlMuxStore
from vidhost.providers.mux.text_track_views import event_track_view
from vidhost.providers.mux.uploads import status_of
from vidhost.providers.mux.views import asset_view, upload_view

UPLOAD_ASSET_CREATED = "video.upload.asset_created"
STATIC_RENDITION_EVENTS = (
    "video.asset.static_rendition.ready",
    "video.asset.static_rendition.errored",
    "video.asset.static_rendition.skipped",
    "video.asset.static_renditions.ready",
)
"""ADR 0065: ``static_rendition.*`` carry the static rendition (with ``asset_id``),
``static_renditions.ready`` the asset (every file asked for is done)."""
TRACK_EVENTS = (
    "video.asset.track.created",
    "video.asset.track.ready",
    "video.asset.track.errored",
    "video.asset.track.deleted",
)
"""ADR 0068: a text track's changes; ``data`` is the track (with ``asset_id``)."""
UPLOAD_CANCELLED = "video.upload.cancelled"
UPLOAD_ERRORED = "video.upload.errored"
MASTER_READY = "video.asset.master.ready"
ASSET_UPDATED = "video.asset.updated"
UPLOAD_EVENTS = (UPLOAD_ASSET_CREATED, UPLOAD_CANCELLED, UPLOAD_ERRORED)
EVENTS = (
    UPLOAD_ASSET_CREATED,
    UPLOAD_CANCELLED,
    UPLOAD_ERRORED,
    "video.asset.created",
    "video.asset.ready",
    "video.asset.errored",
    "video.asset.deleted",
    ASSET_UPDATED,
    MASTER_READY,
    *STATIC_RENDITION_EVENTS,
    *TRACK_EVENTS,
)
ENVIRONMENT = {"name": "vidhost", "id": "vidhost"}


def mux_signature(secret: str, timestamp: int, body: bytes) -> str:
    return timestamped_hmac(secret, timestamp, body)


class MuxWebhookFormat:
    name = "mux"
    event_types: tuple[str, ...] = EVENTS

    def __init__(
        self,
        store: SqlMuxStore,
        tasks: Callable[[str], list[Task]],
        statics: StaticRenditions,
        *,
        master: MasterAccess,
        base_url: str,
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.statics = statics
        self.master = master
        self.base_url = base_url

    def types_for(self, public_type: str, event: DomainEvent, video: Video | None) -> list[str]:
        accepted = video is not None and video.source_probe is not None
        if public_type == "video.asset.created":
            first = [UPLOAD_ASSET_CREATED] if self.store.upload_of_video(event.video_id) else []
            return [*first, "video.asset.created"]
        if public_type == "video.asset.deleted":  # a pending upload's video is no asset
            return ["video.asset.deleted"] if accepted else []
        if public_type in STATIC_RENDITION_EVENTS or public_type in TRACK_EVENTS:
            return [public_type]
        if public_type == "video.asset.ready":
            granted = video is not None and self.master.active(video)
            return [public_type, MASTER_READY] if granted else [public_type]
        if public_type == "video.asset.errored":
            # refused before it was accepted: the upload errored too (its status says so)
            if not accepted and self.store.upload_of_video(event.video_id) is not None:
                return [UPLOAD_ERRORED, public_type]
            return [public_type]
        if public_type == ORIGINAL_READY:
            return [MASTER_READY]
        if public_type in (ASSET_UPDATED, UPLOAD_CANCELLED):
            return [public_type]
        return []

    def body(
        self, event_type: str, message_id: str, event: DomainEvent, video: Video | None
    ) -> dict[str, Any]:
        upload = self.store.upload_of_video(event.video_id)
        if event_type in UPLOAD_EVENTS and upload is not None:
            data = upload_view(upload, status_of(upload, video), None)
            obj = {"type": "upload", "id": upload.id}
        elif event_type.startswith("video.asset.static_rendition."):
            data = self._static_rendition(event)
            obj = {"type": "asset", "id": event.video_id}
        elif event_type in TRACK_EVENTS:
            data = event_track_view(event.video_id, event.data)
            obj = {"type": "asset", "id": event.video_id}
        else:
            if video is not None:
                pids = self.store.playback_ids_of([video.id])[video.id]
                statics = self.statics.of_video(video.id)
                data = asset_view(video, pids, upload, self.tasks(video.id), statics)
                data.update(self.master.fields(video, self.base_url))
                if event_type == "video.asset.deleted":
                    data["status"] = (
                        "deleted" if video.state is VideoState.DELETED else data["status"]
                    )
            else:
                data = {"id": event.video_id}
            obj = {"type": "asset", "id": event.video_id}
        return {
            "type": event_type,
            "object": obj,
            "id": str(uuid.UUID(hex=message_id.removeprefix("msg_"))),
            "environment": ENVIRONMENT,
            "data": data,
            "created_at": event.at.isoformat().replace("+00:00", "Z"),
            "attempts": [],
            "accessor_source": None,
            "accessor": None,
            "request_id": None,
        }

    def _static_rendition(self, event: DomainEvent) -> dict[str, Any]:
        """The static rendition as it is now; from the event alone if it was deleted."""
        rid = event.data["id"]
        record = next((r for r in self.statics.of_video(event.video_id) if r.id == rid), None)
        if record is None:
            keys = ("id", "name", "status")
            return {**{k: event.data[k] for k in keys}, "asset_id": event.video_id}
        return {**file_view(record, event.video_id), "status": event.data["status"]}

    def headers(
        self,
        secret: str,
        message_id: str,
        timestamp: int,
        body: bytes,
        *,
        previous_secret: str | None = None,
    ) -> dict[str, str]:
        parts = [f"t={timestamp}", f"v1={mux_signature(secret, timestamp, body)}"]
        if previous_secret:
            parts.append(f"v1={mux_signature(previous_secret, timestamp, body)}")
        return {
            "content-type": "application/json",
            "user-agent": "vidhost-webhooks/1 (mux)",
            "mux-signature": ",".join(parts),
        }
