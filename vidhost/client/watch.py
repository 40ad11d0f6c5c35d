"""Wait for the server over its sockets: a video's processing, a download being made.

``follow`` reads ``/video/{id}/status/stream``: the socket sends the current state at once,
then every change, and closes after ``READY`` or ``FAILED``; a reconnect therefore never
misses the end. ``follow_download`` reads the owner's ``/api/events`` until the download's
``download`` message, reading the download once after every (re)connect (the socket does
not replay). The user's token goes in the ``Authorization`` header (never in the URL). Where
a socket cannot be opened (a proxy that does not pass WebSockets), the same reads are polled
instead.
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
PREPARING = "preparing"

Event = dict[str, Any]
Handler = Callable[[Event], Event | None]
"""A message -> the final answer to return, or ``None`` to keep listening."""
Read = Callable[[], Event | None]
"""A read of the current state over HTTP -> the final answer, or ``None``."""


def socket_url(settings: ClientSettings, path: str) -> str:
    scheme, rest = settings.server.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{path}"


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


def _listen(
    settings: ClientSettings, path: str, handle: Handler, *, on_open: Read | None = None
) -> Event | None:
    """The first answer ``handle`` gives for a message of the socket at ``path``, which is
    reopened when it closes early. ``on_open`` runs after each (re)connect (the socket is
    subscribed by then): an HTTP read that catches what happened before. ``None`` when the
    socket kept failing."""
    attempts = 0
    while True:
        try:
            with connect(
                socket_url(settings, path),
                additional_headers=settings.headers,
                open_timeout=10,
                close_timeout=2,
            ) as ws:
                done = on_open() if on_open is not None else None
                if done is not None:
                    return done
                for message in ws:
                    done = handle(json.loads(message))
                    if done is not None:
                        return done
            attempts += 1  # closed without an answer (server restart, 1013)
        except InvalidStatus as exc:
            raise _refusal(exc) from None
        except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
            attempts += 1
        if attempts > RECONNECTS:
            return None
        time.sleep(min(2.0**attempts / 4, 5.0))


def _poll(read: Read, interval: float) -> Event:
    while True:
        done = read()
        if done is not None:
            return done
        time.sleep(interval)


SOCKET_STATE = {"ready": "READY", "failed": "FAILED", "processing": "PROCESSING"}
"""The status socket's name for a polled ``state`` (any other is ``UPLOADED``)."""


def follow(
    settings: ClientSettings,
    video_id: str,
    on_event: Callable[[Event], None],
    *,
    api: Api | None = None,
    poll_interval: float = 1.0,
) -> Event:
    """Call ``on_event`` for each status; return the terminal one (``READY`` or ``FAILED``)."""

    def handle(event: Event) -> Event | None:
        on_event(event)
        return event if event.get("state") in TERMINAL else None

    done = _listen(settings, f"/video/{video_id}/status/stream", handle)
    if done is not None:
        return done
    if api is None:
        raise ClientError("connection_failed", "the status socket kept closing")
    polled = api

    def read() -> Event | None:
        status = polled.status(video_id)
        return handle(
            {
                "videoId": video_id,
                "state": SOCKET_STATE.get(str(status["state"]), "UPLOADED"),
                "progress": status.get("progress", 0.0),
            }
        )

    return _poll(read, poll_interval)


def follow_download(
    settings: ClientSettings,
    api: Api,
    video_id: str,
    name: str,
    on_event: Callable[[Event], None],
    *,
    poll_interval: float = 1.0,
) -> Event:
    """Wait until the video's download ``name`` is no longer ``preparing``; its record
    (``{name, status, url, bytes}``). ``on_event`` gets the ``progress`` messages of the
    video's ``static_rendition`` tasks meanwhile."""

    def read() -> Event | None:
        record = api.download(video_id, name)
        return record if record.get("status") != PREPARING else None

    def handle(message: Event) -> Event | None:
        if message.get("videoId") != video_id:
            return None
        kind = message.get("type")
        if kind == "progress" and message.get("kind") == "static_rendition":
            on_event(message)
        elif (kind == "download" and message.get("name") == name) or (
            kind == "state" and message.get("state") in ("failed", "deleted")
        ):
            return read()
        return None

    done = _listen(settings, "/api/events", handle, on_open=read)
    return done if done is not None else _poll(read, poll_interval)
