"""The status socket: ``GET /video/{videoId}/status/stream``, a WebSocket of the video's state.

- the owner only (an owner surface of ``vidhost.core.access``): a bearer user JWT in
  ``Authorization`` or, from a browser, as the subprotocol pair ``bearer, <jwt>`` (the server
  answers ``bearer``), or ``?token=`` a playback token with aud ``v``. No credential: 401;
  another user's video: 403 ``access_denied``; a bad token: 403 ``playback_token_*``. Each is
  an HTTP answer before the upgrade (WebSocket denial response) with the JSON error body;
- unknown id: HTTP 404 before the upgrade (WebSocket denial response);
- a plain HTTP request: 400 (uvicorn answers 400 itself to a malformed upgrade);
- on connect the current state, then each change ``{"videoId", "state", "timestamp",
  "progress"}``; the server closes with 1000 right after READY or FAILED. ``progress`` is the
  share of the ladder stored: READY (plays now) comes with the figure of that moment, under
  100 while the other renditions are encoded (``/api/events`` follows them to 100).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Audience, Viewer
from vidhost.core.errors import DomainError
from vidhost.core.lifecycle import TERMINAL, TaskKind, TaskStatus, VideoState, can_transition
from vidhost.core.models import TASK_CHANGED, VIDEO_STATE_CHANGED, DomainEvent, Video
from vidhost.core.progress import ladder_percent, task_percent
from vidhost.core.vocabulary import STATUS_SOCKET_STATE
from vidhost.http.deps import ContainerDep, ViewerDep, bearer_subprotocol, viewer_of
from vidhost.http.errors import ApiError, coded_answer, error_body
from vidhost.http.reads import readable
from vidhost.notify.realtime.hub import video_topic
from vidhost.notify.realtime.sockets import CLOSE_NORMAL, iso, pump

router = APIRouter(tags=["realtime"])

PATH = "/video/{video_id}/status/stream"


@dataclass
class _Seen:
    state: VideoState
    progress: float


def _find(container: Container, video_id: str, viewer: Viewer) -> tuple[Video, float]:
    """The video (if ``viewer`` may watch its status) and its transcode progress, or raise."""
    video, _ = readable(container, video_id, viewer, Audience.VIDEO, owner_only=True)
    return video, ladder_percent(video, container.videos.task(video_id, TaskKind.TRANSCODE))


async def deny(websocket: WebSocket, exc: DomainError) -> None:
    """Refuse an upgrade with the HTTP status and JSON body a plain request would get."""
    status, text = coded_answer(websocket, exc)  # logged as a refusal, like any answer
    body = error_body(text, exc.code)
    await websocket.send_denial_response(JSONResponse(body, status_code=status))


def message(video_id: str, state: VideoState, timestamp: str, progress: float) -> dict[str, Any]:
    """``progress`` is the ladder's (``vidhost.core.progress``): ``READY`` means the video
    plays now, and usually comes with a figure well under 100 (the rest is still encoded)."""
    return {
        "videoId": video_id,
        "state": STATUS_SOCKET_STATE[state],
        "timestamp": timestamp,
        "progress": round(progress, 1),
    }


@router.get(
    PATH,
    responses={
        101: {"description": "Switching Protocols: a WebSocket of JSON status messages"},
        400: {"description": "Not a WebSocket upgrade request"},
        401: {"description": "No credentials (answered before the upgrade)"},
        403: {"description": "Another user's video, or a bad playback token"},
        404: {"description": "Unknown video id (answered before the upgrade)"},
    },
)
async def status_stream_http(video_id: str, container: ContainerDep, viewer: ViewerDep) -> None:
    """Real-time state of one video over a WebSocket (connect with ``ws://``)."""
    await run_in_threadpool(_find, container, video_id, viewer)
    raise ApiError(
        400, "websocket_upgrade_required", "this endpoint needs a WebSocket upgrade request"
    )


@router.websocket(PATH)
async def status_stream(websocket: WebSocket, video_id: str) -> None:
    container: Container = websocket.app.state.container
    hub = container.hub
    sub = hub.subscribe(
        [video_topic(video_id)], asyncio.get_running_loop(), container.settings.ws_queue_size
    )
    try:
        try:
            viewer = viewer_of(websocket)
            video, progress = await run_in_threadpool(_find, container, video_id, viewer)
        except DomainError as exc:
            await deny(websocket, exc)
            return
        await websocket.accept(subprotocol=bearer_subprotocol(websocket))
        state = video.state
        await websocket.send_json(message(video_id, state, iso(video.updated_at), progress))
        if state in TERMINAL:
            await websocket.close(CLOSE_NORMAL)
            return
        current = _Seen(state, progress)

        async def on_event(event: DomainEvent) -> bool:
            if event.type == TASK_CHANGED and event.data.get("kind") == TaskKind.TRANSCODE.value:
                current.progress = task_percent(
                    str(event.data.get("status") or TaskStatus.PENDING.value),
                    event.data.get("progress"),
                )
                return True
            if event.type != VIDEO_STATE_CHANGED:
                return True
            new = VideoState(event.data["state"])
            old = current.state
            if not can_transition(old, new):
                return True  # already reflected in what this socket has sent
            current.state = new
            if STATUS_SOCKET_STATE[new] != STATUS_SOCKET_STATE[old]:
                await websocket.send_json(message(video_id, new, iso(event.at), current.progress))
            if new in TERMINAL:
                await websocket.close(CLOSE_NORMAL)
                return False
            return True

        await pump(websocket, sub, on_event)
    finally:
        hub.unsubscribe(sub)
