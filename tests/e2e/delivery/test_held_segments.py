"""Held segment requests (ADR 0064): a request for a planned segment not stored yet is
answered the moment it is stored, through one wait per key that the bus's events (and a
shared re-check) wake, whatever the surface.

As in test_progressive_playback.py, a real ``vidhost serve`` (no embedded worker) serves and
the worker is a ``TaskRunner`` of this test process, so the test decides when chunks are
encoded.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.delivery.test_progressive_playback import (
    SERVER_ENV,
    WORKER,
    Split,
    encode_the_rest,
    timed_clip,
)
from tests.integration.helpers import container
from tests.server import ServerProcess
from vidhost.core import layout

pytestmark = pytest.mark.e2e

HELD = 200


@pytest.fixture
def split(tmp_path: Path) -> Iterator[Split]:
    data = tmp_path / "data"
    env = {**SERVER_ENV, "VIDHOST_SEGMENT_WAIT_SECONDS": "60"}
    with container(data, **WORKER) as worker:
        server = ServerProcess(data, env=env).start()
        try:
            yield Split(server, worker)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return timed_clip(tmp_path_factory.mktemp("clip") / "timed.mp4", 16)


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_200_held_requests_are_answered_when_the_segment_is_stored(
    split: Split, clip: Path
) -> None:
    video_id = split.ready_early(clip)
    # 8 segments: chunk 0 = [0], 1 = [1, 2], 2 = [3, 4], 3 = [5, 6], 4 = [7].
    names = [layout.segment_name("180p", 5), layout.segment_name("120p", 3)]
    urls = [
        split.segment_url(video_id, names[0]),  # native
        f"{split.server.url}/{video_id}/manifest/segment/{names[1]}",  # Cloudflare's shape
    ]
    assert split.server.proc is not None
    threads_before = _threads(split.server.proc.pid)
    results: list[httpx.Response] = []
    held_threads: list[int] = []

    async def hold_all() -> None:
        limits = httpx.Limits(max_connections=HELD + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=90) as client:
            requests = [asyncio.create_task(client.get(urls[i % 2])) for i in range(HELD)]
            await asyncio.sleep(3)  # every one is in, none can be answered: nothing encodes
            assert not any(r.done() for r in requests)
            assert split.server.proc is not None
            held_threads.append(_threads(split.server.proc.pid))
            started = time.monotonic()
            worker = await asyncio.to_thread(encode_the_rest, split.worker.task_runner(), video_id)
            results.extend(await asyncio.gather(*requests))
            print(f"{HELD} held requests answered {time.monotonic() - started:.2f} s after "
                  "the worker started")  # fmt: skip
            await asyncio.to_thread(worker.join, 60)

    asyncio.run(hold_all())
    # Held requests hold no thread of their own in the server.
    assert held_threads[0] < threads_before + 50, (threads_before, held_threads)
    assert len(results) == HELD
    stored = {
        name: split.worker.storage.get_bytes(layout.hls_prefix(video_id) + name) for name in names
    }
    for i, r in enumerate(results):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "video/iso.segment"
        assert r.content == stored[names[i % 2]]


def test_a_held_request_ends_404_when_the_video_is_deleted_meanwhile(
    split: Split, clip: Path
) -> None:
    video_id = split.ready_early(clip)
    got: dict[str, httpx.Response] = {}
    url = split.segment_url(video_id, layout.segment_name("180p", 3))
    waiting = threading.Thread(target=lambda: got.update(r=httpx.get(url, timeout=90)))
    waiting.start()
    for _ in range(100):  # the request has stamped its chunk
        if split.chunk(video_id, 2).requested_at is not None:
            break
        time.sleep(0.05)
    deleted = time.monotonic()
    split.worker.videos.delete(video_id)
    waiting.join(30)
    r = got["r"]
    assert r.status_code == 404 and r.json()["code"] == "video_not_found", r.text
    assert time.monotonic() - deleted < 5  # woken by the event, not the 60 s bound


def test_with_no_worker_running_the_answer_is_503_with_retry_after_after_the_bound(
    tmp_path: Path, clip: Path
) -> None:
    bound = 3.0
    data = tmp_path / "data"
    env = {**SERVER_ENV, "VIDHOST_SEGMENT_WAIT_SECONDS": str(bound)}
    with container(data, **WORKER) as worker:
        server = ServerProcess(data, env=env).start()
        try:
            split = Split(server, worker)
            video_id = split.ready_early(clip)  # then no worker runs at all
            started = time.monotonic()
            r = httpx.get(split.segment_url(video_id, layout.segment_name("180p", 5)), timeout=60)
            elapsed = time.monotonic() - started
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "segment_not_ready"
            assert int(r.headers["Retry-After"]) > 0
            assert bound <= elapsed < bound + 2, elapsed
            # A name the plan does not have is 404 at once, as before.
            r = httpx.get(split.segment_url(video_id, layout.segment_name("180p", 8)))
            assert r.status_code == 404
        finally:
            server.stop()
