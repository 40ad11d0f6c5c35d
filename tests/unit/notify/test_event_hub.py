"""The WebSocket hub: topic routing, and a slow subscriber overflowing without delaying others."""

from __future__ import annotations

import asyncio

from vidhost.core.models import TASK_CHANGED, VIDEO_STATE_CHANGED, DomainEvent
from vidhost.notify.events.memory import InMemoryBus
from vidhost.notify.realtime.hub import OVERFLOW, EventHub, client_topic, owner_topic, video_topic


def _state(video_id: str, state: str, client: str | None = None) -> DomainEvent:
    data = {"state": state, "owner": "u"}
    if client:
        data["client_id"] = client
    return DomainEvent(VIDEO_STATE_CHANGED, video_id, data)


def _task(video_id: str, progress: float) -> DomainEvent:
    data = {"kind": "transcode", "status": "processing", "progress": progress, "error": None}
    return DomainEvent(TASK_CHANGED, video_id, data)


def test_routing_and_overflow():
    lookups: list[str] = []

    def client_of(video_id: str) -> tuple[str, str] | None:
        lookups.append(video_id)
        return {"v2": ("u", "c2")}.get(video_id)

    async def scenario() -> None:
        bus = InMemoryBus()
        hub = EventHub(bus, client_of)
        loop = asyncio.get_running_loop()
        slow = hub.subscribe([video_topic("v1")], loop, maxsize=3)
        fast = hub.subscribe([video_topic("v1")], loop, maxsize=3)
        client = hub.subscribe([client_topic("u", "c1")], loop, maxsize=100)
        client2 = hub.subscribe([client_topic("u", "c2")], loop, maxsize=100)
        other_owner = hub.subscribe([client_topic("someone-else", "c1")], loop, maxsize=100)

        fast_got: list[object] = []

        async def consume() -> None:
            while len(fast_got) < 10:
                fast_got.append(await fast.get())

        consumer = asyncio.ensure_future(consume())
        bus.publish(_state("v1", "uploaded", client="c1"))  # from another thread in real life
        for i in range(9):
            bus.publish(_task("v1", float(i)))
            await asyncio.sleep(0)  # let the fast consumer run between events
        await asyncio.wait_for(consumer, 2)
        assert len(fast_got) == 10 and fast_got[0].type == VIDEO_STATE_CHANGED  # type: ignore[attr-defined]
        # The slow subscriber never read: it holds only the overflow marker.
        assert slow.overflowed
        assert await slow.get() is OVERFLOW and slow.queue.empty()
        # The client subscription got the upload (client_id in the event) and the task
        # events (client learned from the state event: no database lookup needed).
        assert client.queue.qsize() == 10 and lookups == []
        assert other_owner.queue.empty()  # same client_id, another owner: nothing
        bus.publish(_task("v2", 5.0))  # unknown video: looked up once, then cached
        bus.publish(_task("v2", 6.0))
        await asyncio.sleep(0.01)
        assert lookups == ["v2"] and client2.queue.qsize() == 2
        for sub in (slow, fast, client, client2, other_owner):
            hub.unsubscribe(sub)
        assert hub.subscriber_count() == 0
        hub.close()

    asyncio.run(scenario())


def test_the_owner_topic_gets_every_video_of_its_owner_and_no_one_elses():
    lookups: list[str] = []

    def client_of(video_id: str) -> tuple[str, str | None] | None:
        lookups.append(video_id)
        return {"v3": ("u", None), "v4": ("other", None)}.get(video_id)

    async def scenario() -> None:
        bus = InMemoryBus()
        hub = EventHub(bus, client_of)
        loop = asyncio.get_running_loop()
        mine = hub.subscribe([owner_topic("u")], loop, maxsize=100)
        theirs = hub.subscribe([owner_topic("other")], loop, maxsize=100)
        bus.publish(_state("v1", "created"))  # a new video, no client_id: owner in the event
        bus.publish(_task("v1", 1.0))  # known from the state event: no lookup
        bus.publish(_state("v2", "uploaded", client="c1"))  # with a client_id too
        bus.publish(_task("v3", 2.0))  # unknown: looked up (owner, no client_id)
        bus.publish(_task("v4", 3.0))  # another owner's
        await asyncio.sleep(0.01)
        got = [mine.queue.get_nowait().video_id for _ in range(mine.queue.qsize())]  # type: ignore[union-attr]
        assert got == ["v1", "v1", "v2", "v3"]
        assert [theirs.queue.get_nowait().video_id] == ["v4"]  # type: ignore[union-attr]
        assert theirs.queue.empty() and lookups == ["v3", "v4"]
        for sub in (mine, theirs):
            hub.unsubscribe(sub)
        assert hub.subscriber_count() == 0
        hub.close()

    asyncio.run(scenario())
