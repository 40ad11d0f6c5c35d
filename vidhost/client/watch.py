"""Follow a video's processing over ``/video/{id}/status/stream`` until it is ready or failed.

The socket sends the current state at once, then every change, and closes after ``READY``
or ``FAILED``; a reconnect therefore never misses the end. The user's token goes in the
``Authorization`` header (never in the URL). Where the socket cannot be opened (a proxy
that does not pass WebSockets), the status is polled instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from vidhost.client.api import Api
from vidhost.client.config import ClientSettings
from vidhost.client.errors import ClientError

TERMINAL = {"READY", "FAILED"}
RECONNECTS = 5

Event = dict[str, Any]


def socket_url(settings: ClientSettings, video_id: str) -> str:
    base = settings.server
    scheme, rest = base.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/video/{video_id}/status/stream"


def _refusal(exc: InvalidStatus) -> ClientError:
    response = exc.response
    code, message = f"http_{response.status_code}", "the status socket was refused"
    try:
        body = json.loads(response.body or b"")
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        message = str(body.get("error") or message)
    return ClientError(code, message, response.status_code)


def follow(
    settings: ClientSettings,
    video_id: str,
    on_event: Callable[[Event], None],
    *,
    api: Api | None = None,
    poll_interval: float = 1.0,
) -> Event:
    """Call ``on_event`` for each status; return the terminal one (``READY`` or ``FAILED``)."""
    attempts = 0
    while True:
        try:
            with connect(
                socket_url(settings, video_id),
                additional_headers=settings.headers,
                open_timeout=10,
                close_timeout=2,
            ) as ws:
                for message in ws:
                    event: Event = json.loads(message)
                    on_event(event)
                    if event.get("state") in TERMINAL:
                        return event
            attempts += 1  # closed without a terminal state (server restart, 1013)
        except InvalidStatus as exc:
            raise _refusal(exc) from None
        except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
            attempts += 1
        if attempts > RECONNECTS:
            break
        time.sleep(min(2.0**attempts / 4, 5.0))
    if api is None:
        raise ClientError("connection_failed", "the status socket kept closing")
    return _poll(api, video_id, on_event, poll_interval)


SOCKET_STATE = {"ready": "READY", "failed": "FAILED", "processing": "PROCESSING"}
"""The status socket's name for a polled ``state`` (any other is ``UPLOADED``)."""


def _poll(api: Api, video_id: str, on_event: Callable[[Event], None], interval: float) -> Event:
    while True:
        status = api.status(video_id)
        event: Event = {
            "videoId": video_id,
            "state": SOCKET_STATE.get(str(status["state"]), "UPLOADED"),
            "progress": status.get("progress", 0.0),
        }
        on_event(event)
        if event["state"] in TERMINAL:
            return event
        time.sleep(interval)
