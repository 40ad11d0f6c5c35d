"""The client socket: ``/ws/{client_id}``, every upload and task of one client, as it happens.

Messages: ``connection`` once; ``upload_status`` when a video uploaded with this
``client_id`` (``POST /upload`` field ``client_id``) is stored; ``status_update`` for each
task step of such a video, whatever its kind (``process_type``: ``transcode``,
``metadata_extraction``, ``video_enhancement``...). On connect the current status of the
client's videos changed in the last ``VIDHOST_WS_REPLAY_SECONDS`` is sent again, so a client
that reconnects misses no final status.

Client ids are scoped per owner: the socket needs the owner's user JWT (``Authorization:
Bearer``, or from a browser the subprotocol pair ``bearer, <jwt>``, answered ``bearer``) and
carries only that owner's videos. Without credentials: HTTP 401 before the upgrade.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import DomainError
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import TASK_CHANGED, VIDEO_STATE_CHANGED, DomainEvent, utcnow
from vidhost.core.progress import task_percent
from vidhost.http.deps import bearer_subprotocol, require_user
from vidhost.notify.realtime.client_videos import ClientVideo
from vidhost.notify.realtime.hub import client_topic
from vidhost.notify.realtime.sockets import iso, pump
from vidhost.notify.realtime.status_stream import deny

router = APIRouter(tags=["realtime"])

MAX_CLIENT_ID = 255
UPLOADED_STATES = frozenset({VideoState.UPLOADED, VideoState.PROCESSING, VideoState.READY})


def upload_status(file_id: str, timestamp: str) -> dict[str, Any]:
    return {
        "type": "upload_status",
        "file_id": file_id,
        "status": "uploaded",
        "message": "Video uploaded successfully",
        "timestamp": timestamp,
    }


def status_update(
    file_id: str, kind: str, status: str, progress: float, error: str | None, timestamp: str
) -> dict[str, Any]:
    return {
        "type": "status_update",
        "file_id": file_id,
        "process_type": kind,
        "status": status,
        "progress": task_percent(status, progress),
        "error": error,
        "timestamp": timestamp,
    }


def replay(videos: list[ClientVideo]) -> list[dict[str, Any]]:
    messages = []
    for video in videos:
        if video.state in UPLOADED_STATES:
            messages.append(upload_status(video.id, iso(video.updated_at)))
        for t in video.tasks:
            messages.append(
                status_update(video.id, t.kind, t.status, t.progress, t.error, iso(t.updated_at))
            )
    return messages


@router.websocket("/ws/{client_id}")
async def client_socket(websocket: WebSocket, client_id: str) -> None:
    container: Container = websocket.app.state.container
    hub = container.hub
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        await websocket.close(1008, "client_id must be 1-255 characters")
        return
    try:
        owner = require_user(websocket)
    except DomainError as exc:
        await deny(websocket, exc)
        return
    settings = container.settings
    sub = hub.subscribe(
        [client_topic(owner, client_id)], asyncio.get_running_loop(), settings.ws_queue_size
    )
    sent: dict[tuple[str, str], tuple[str, float]] = {}
    uploaded: set[str] = set()

    async def send_upload(file_id: str, timestamp: str) -> None:
        if file_id not in uploaded:
            uploaded.add(file_id)
            await websocket.send_json(upload_status(file_id, timestamp))

    async def send_update(message: dict[str, Any]) -> None:
        key = (message["file_id"], message["process_type"])
        value = (message["status"], message["progress"])
        if sent.get(key) == value:
            return  # the replay already said so
        sent[key] = value
        await websocket.send_json(message)

    try:
        await websocket.accept(subprotocol=bearer_subprotocol(websocket))
        # The state to replay is read before the client hears it is connected: whatever it
        # does after that arrives as events, none hidden by a replay that came later.
        since = utcnow() - timedelta(seconds=settings.ws_replay_seconds)
        recent = await run_in_threadpool(
            container.client_videos.recent, owner, client_id, since=since
        )
        await websocket.send_json(
            {"type": "connection", "status": "connected", "client_id": client_id}
        )
        # Events of the subscription older than the state just replayed are history: sending
        # them now would show a task going back (processing, then pending again).
        replayed = {(v.id, t.kind): t.updated_at for v in recent for t in v.tasks}
        for message in replay(recent):
            if message["type"] == "status_update":
                await send_update(message)
            else:
                await send_upload(message["file_id"], message["timestamp"])

        async def on_event(event: DomainEvent) -> bool:
            data = event.data
            if event.type == VIDEO_STATE_CHANGED and data.get("state") == VideoState.UPLOADED:
                await send_upload(event.video_id, iso(event.at))
            elif event.type == TASK_CHANGED:
                seen = replayed.get((event.video_id, str(data.get("kind"))))
                if seen is not None and event.at <= seen:
                    return True
                await send_update(
                    status_update(
                        event.video_id,
                        str(data.get("kind")),
                        str(data.get("status")),
                        float(data.get("progress") or 0.0),
                        data.get("error"),
                        iso(event.at),
                    )
                )
            return True

        await pump(websocket, sub, on_event)
    finally:
        hub.unsubscribe(sub)
