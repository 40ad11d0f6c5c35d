"""Routes domain events from the bus to WebSocket subscriptions on the event loop.

The bus calls ``EventHub.on_event`` in the event-log tailer's thread. The hub picks the
subscriptions whose topics match - ``("video", id)``, ``("client", owner, client_id)``
(client ids are scoped per owner: two users may use the same one) and ``("owner", owner)``
(every video of one owner, for ``/api/events``) - and
hands the event to each subscription's event loop with ``call_soon_threadsafe``: the tailer
never waits for a socket. Each subscription has a bounded queue; a subscription that falls
``maxsize`` events behind is *overflowed*: its queue is emptied and it receives ``OVERFLOW``
once, upon which the socket is closed with 1013 so the client reconnects and reads the
current state (docs/adr/0030-websocket-fan-out.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Final

from vidhost.adapters import metrics
from vidhost.core.models import VIDEO_STATE_CHANGED, DomainEvent
from vidhost.core.ports import EventBus

log = logging.getLogger(__name__)

Topic = tuple[str, ...]


class _Overflow:
    def __repr__(self) -> str:
        return "OVERFLOW"


OVERFLOW: Final = _Overflow()
Item = DomainEvent | _Overflow


def video_topic(video_id: str) -> Topic:
    return ("video", video_id)


def client_topic(owner: str, client_id: str) -> Topic:
    return ("client", owner, client_id)


def owner_topic(owner: str) -> Topic:
    return ("owner", owner)


KEYED = frozenset({"client", "owner"})
"""Topics that need the video's owner (and client id): a lookup for task events."""


class Subscription:
    """One socket's inbox. ``offer`` runs on ``loop``; ``get`` is awaited by the socket."""

    def __init__(
        self, topics: frozenset[Topic], loop: asyncio.AbstractEventLoop, maxsize: int
    ) -> None:
        self.topics = topics
        self.loop = loop
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    def offer(self, event: DomainEvent) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(OVERFLOW)

    async def get(self) -> Item:
        return await self.queue.get()


VideoKey = tuple[str, str | None]
"""(owner, client_id) of a video; ``client_id`` is ``None`` if it was uploaded without one."""

ClientLookup = Callable[[str], "VideoKey | None"]
"""video id -> its owner and the ``client_id`` it was uploaded with (a database read)."""


class EventHub:
    def __init__(self, bus: EventBus, client_of: ClientLookup, *, cache_size: int = 10_000):
        self._client_of = client_of
        self._cache: OrderedDict[str, VideoKey | None] = OrderedDict()
        self._cache_size = cache_size
        self._subs: dict[Topic, set[Subscription]] = {}
        self._client_subs = 0
        self._lock = threading.Lock()
        self._unsubscribe = bus.subscribe(self.on_event)

    def close(self) -> None:
        self._unsubscribe()

    def subscribe(
        self, topics: Iterable[Topic], loop: asyncio.AbstractEventLoop, maxsize: int
    ) -> Subscription:
        sub = Subscription(frozenset(topics), loop, maxsize)
        with self._lock:
            for topic in sub.topics:
                self._subs.setdefault(topic, set()).add(sub)
                self._client_subs += topic[0] in KEYED
        metrics.websocket_opened(_surface(sub))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        removed = False
        with self._lock:
            for topic in sub.topics:
                subs = self._subs.get(topic)
                if subs is not None and sub in subs:
                    removed = True
                    subs.discard(sub)
                    self._client_subs -= topic[0] in KEYED
                    if not subs:
                        del self._subs[topic]
        if removed:
            metrics.websocket_closed(_surface(sub))

    def subscriber_count(self) -> int:
        with self._lock:
            return len({s for subs in self._subs.values() for s in subs})

    # --- called in the tailer thread -----------------------------------------------------

    def on_event(self, event: DomainEvent) -> None:
        topics = [video_topic(event.video_id)]
        key = self._key_for(event)
        if key:
            owner, client = key
            topics.append(owner_topic(owner))
            if client is not None:
                topics.append(client_topic(owner, client))
        with self._lock:
            targets = {s for t in topics for s in self._subs.get(t, ())}
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, event)
            except RuntimeError:  # the socket's loop is closed: it is going away
                self.unsubscribe(sub)

    def _key_for(self, event: DomainEvent) -> VideoKey | None:
        if event.type == VIDEO_STATE_CHANGED:
            client, owner = event.data.get("client_id"), event.data.get("owner")
            if not isinstance(owner, str):
                return None
            key = (owner, client if isinstance(client, str) else None)
            self._remember(event.video_id, key)
            return key
        with self._lock:
            wanted = self._client_subs > 0
        if not wanted:
            return None
        if event.video_id in self._cache:
            self._cache.move_to_end(event.video_id)
            return self._cache[event.video_id]
        try:
            client = self._client_of(event.video_id)
        except Exception:
            log.exception("client lookup for %s failed", event.video_id)
            return None
        self._remember(event.video_id, client)
        return client

    def _remember(self, video_id: str, client: VideoKey | None) -> None:
        self._cache[video_id] = client
        self._cache.move_to_end(video_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _surface(sub: Subscription) -> str:
    """``client`` for the per-client socket, ``owner`` for ``/api/events``, ``video`` for the
    status socket."""
    for kind in ("client", "owner"):
        if any(topic[0] == kind for topic in sub.topics):
            return kind
    return "video"
