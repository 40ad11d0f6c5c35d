"""The loop every status socket runs: wait for events or the client leaving, whichever first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from starlette.websockets import WebSocket, WebSocketDisconnect

from vidhost.core.models import DomainEvent
from vidhost.notify.realtime.hub import OVERFLOW, Subscription

CLOSE_NORMAL = 1000
CLOSE_TRY_AGAIN_LATER = 1013
OVERFLOW_REASON = "client too slow: messages dropped; reconnect for the current state"


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) client frames until the client goes away."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


async def pump(
    websocket: WebSocket,
    sub: Subscription,
    on_event: Callable[[DomainEvent], Awaitable[bool]],
) -> None:
    """Feed ``sub``'s events to ``on_event`` until it returns False, the client leaves, or
    the subscription overflows (then the socket is closed with 1013)."""
    receiver = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        while True:
            getter = asyncio.ensure_future(sub.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                return
            item = getter.result()
            if item is OVERFLOW:
                await websocket.close(CLOSE_TRY_AGAIN_LATER, OVERFLOW_REASON)
                return
            assert isinstance(item, DomainEvent)
            if not await on_event(item):
                return
    except WebSocketDisconnect:
        return
    finally:
        receiver.cancel()
