"""``/api/events``: a WebSocket of every change to the signed-in owner's videos.

For a library view that follows all of an owner's videos, including ones created after it
connected (an upload from the CLI or another tab). Auth as the other sockets: the user JWT
in ``Authorization: Bearer`` or, from a browser, the subprotocol pair ``bearer, <jwt>``
(answered ``bearer``); without credentials HTTP 401 before the upgrade, a bad token 401
``token_*``. It rides the event hub's ``("owner", owner)`` topic: only that owner's videos.

Messages, JSON:

- ``{"type": "connection", "status": "connected"}`` once;
- ``{"type": "state", "videoId", "state", "timestamp"}`` for each state change, including a
  new video (``created``/``uploading``/``uploaded``) and ``deleted``; ``state`` uses the
  values of ``GET /api/videos``; a ``failed`` one also has ``"error": {"code", "message"}``;
- ``{"type": "progress", "videoId", "kind", "status", "progress", "timestamp"}`` for each
  task step (``kind``: ``transcode``, ``thumbnails``...; ``progress`` 0-100);
- ``{"type": "download", "videoId", "name", "status", "timestamp"}`` when a download (static
  rendition, ADR 0065) ends ``ready``, ``errored`` or ``skipped``: what ``vidhost download``
  and the web app's download menu wait for;
- ``{"type": "updated", "videoId", "timestamp"}`` when the owner edited the record (title,
  description, tags, visibility; on any surface): a library shows the new title.

No replay: connect first, then list (``GET /api/videos``), and nothing is missed. A client
too slow to read is closed with 1013 (reconnect and list again).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, WebSocket

from vidhost.app.container import Container
from vidhost.core.errors import DomainError
from vidhost.core.models import (
    EDITED,
    STATIC_RENDITION_CHANGED,
    TASK_CHANGED,
    TEXT_TRACK_CHANGED,
    VIDEO_NOTICE,
    VIDEO_STATE_CHANGED,
    DomainEvent,
)
from vidhost.core.progress import task_percent
from vidhost.http.deps import CurrentUser, bearer_subprotocol, require_user
from vidhost.http.errors import ApiError
from vidhost.notify.realtime.hub import owner_topic
from vidhost.notify.realtime.sockets import iso, pump
from vidhost.notify.realtime.status_stream import deny

router = APIRouter(tags=["realtime"])

PATH = "/api/events"


def event_message(event: DomainEvent) -> dict[str, Any] | None:
    data = event.data
    if event.type == VIDEO_STATE_CHANGED:
        message: dict[str, Any] = {
            "type": "state",
            "videoId": event.video_id,
            "state": str(data.get("state")),
            "timestamp": iso(event.at),
        }
        if data.get("error_code"):
            message["error"] = {
                "code": data["error_code"],
                "message": data.get("error_message") or "",
            }
        return message
    if event.type == TASK_CHANGED:
        return {
            "type": "progress",
            "videoId": event.video_id,
            "kind": str(data.get("kind")),
            "status": str(data.get("status")),
            "progress": task_percent(str(data.get("status") or "pending"), data.get("progress")),
            "timestamp": iso(event.at),
        }
    if event.type == STATIC_RENDITION_CHANGED:
        return {
            "type": "download",
            "videoId": event.video_id,
            "name": str(data.get("name")),
            "status": str(data.get("status")),
            "timestamp": iso(event.at),
        }
    if event.type == VIDEO_NOTICE and data.get("notice") == EDITED:
        return {"type": "updated", "videoId": event.video_id, "timestamp": iso(event.at)}
    if event.type == TEXT_TRACK_CHANGED:  # ADR 0068
        return {
            "type": "caption",
            "videoId": event.video_id,
            "id": str(data.get("id")),
            "language": str(data.get("language")),
            "change": str(data.get("change")),
            "status": "deleted" if data.get("change") == "deleted" else str(data.get("status")),
            "generated": bool(data.get("generated")),
            "timestamp": iso(event.at),
        }
    return None


@router.get(
    PATH,
    responses={
        101: {"description": "Switching Protocols: a WebSocket of the owner's video events"},
        400: {"description": "Not a WebSocket upgrade request"},
        401: {"description": "No or bad credentials (answered before the upgrade)"},
    },
)
async def events_http(user: CurrentUser) -> None:
    """Every state and progress change of the caller's videos, over a WebSocket."""
    raise ApiError(
        400, "websocket_upgrade_required", "this endpoint needs a WebSocket upgrade request"
    )


@router.websocket(PATH)
async def events_socket(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    hub = container.hub
    try:
        owner = require_user(websocket)
    except DomainError as exc:
        await deny(websocket, exc)
        return
    sub = hub.subscribe(
        [owner_topic(owner)], asyncio.get_running_loop(), container.settings.ws_queue_size
    )
    try:
        await websocket.accept(subprotocol=bearer_subprotocol(websocket))
        await websocket.send_json({"type": "connection", "status": "connected"})

        async def on_event(event: DomainEvent) -> bool:
            message = event_message(event)
            if message is not None:
                await websocket.send_json(message)
            return True

        await pump(websocket, sub, on_event)
    finally:
        hub.unsubscribe(sub)
