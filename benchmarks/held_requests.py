"""What held segment requests cost the requests around them (issue 19, ADR 0064).

A real ``vidhost serve`` (embedded profile, no worker: nothing ever encodes the held
segments, so they stay held for the whole measurement) serves a video made ready early (its
first chunk and audio stored, the rest not). Latency of ordinary requests, ``GET /healthz``
and ``GET`` of a stored segment, one at a time from this process:

- **vidhost**: with ``--held`` (default 200) requests for segments not stored yet in flight
  (an asyncio client in another thread, one connection each, every one of them held);
- **baseline**, same run, same server: with none in flight.

Rounds alternate (baseline, held, baseline, held ...) so a slow moment of the machine hits
both; the figure is the ratio of the medians (and of the p99s) of all rounds.

    python benchmarks/held_requests.py [--held 200] [--requests 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.e2e.delivery.test_progressive_playback import WORKER, timed_clip
from tests.integration.helpers import container, upload
from tests.server import ServerProcess
from vidhost.core import layout
from vidhost.core.lifecycle import TaskStatus, VideoState


def ordinary(base: str, video_id: str, n: int) -> list[float]:
    """Latencies (ms) of ``n`` requests, alternating /healthz and a stored segment."""
    urls = [f"{base}/healthz", f"{base}/stream/{video_id}/segment/180p_00000.ts"]
    out = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            t = time.perf_counter()
            r = client.get(urls[i % 2])
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    return out


class Held:
    """``n`` requests for segments not stored yet, held in flight by another thread."""

    def __init__(self, urls: list[str], n: int) -> None:
        self.urls, self.n = urls, n
        self.started = threading.Event()
        self.finished: list[int] = []
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        limits = httpx.Limits(max_connections=self.n + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=600) as client:
            tasks = [
                asyncio.create_task(client.get(self.urls[i % len(self.urls)]))
                for i in range(self.n)
            ]
            await asyncio.sleep(2)  # all sent and held
            self.finished.append(sum(t.done() for t in tasks))
            self.started.set()
            await self._stop.wait()
            self.finished.append(sum(t.done() for t in tasks))
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> Held:
        self._thread.start()
        self.started.wait(60)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", type=int, default=200)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidhost-held-") as tmp:
        data = Path(tmp) / "data"
        clip = timed_clip(Path(tmp) / "clip.mp4", 16)
        env = {
            "VIDHOST_AUTH": "none",
            "VIDHOST_EMBEDDED_WORKER": "false",
            "VIDHOST_LADDER_HEIGHTS": "[180, 120]",
            "VIDHOST_SEGMENT_SECONDS": "2",
            "VIDHOST_CHUNK_SECONDS": "4",
            "VIDHOST_SEGMENT_WAIT_SECONDS": "600",
        }
        with container(data, **WORKER) as c:
            server = ServerProcess(data, env=env).start()
            try:
                video_id = upload(c, clip)
                runner = c.task_runner()
                assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
                assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
                assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
                video = c.repo.get_video(video_id)
                assert video is not None and video.state is VideoState.READY
                # 8 segments of 2 rungs; chunk 0 = segment 0 is stored, the rest is not.
                unstored = [
                    f"{server.url}/stream/{video_id}/segment/{layout.segment_name(r, i)}"
                    for r in ("180p", "120p")
                    for i in range(1, 8)
                ]
                ordinary(server.url, video_id, 20)  # warm-up
                base: list[float] = []
                held: list[float] = []
                for n in range(args.rounds):
                    b = ordinary(server.url, video_id, args.requests)
                    with Held(unstored, args.held) as h:
                        v = ordinary(server.url, video_id, args.requests)
                    assert h.finished == [0, 0], f"held requests ended early: {h.finished}"
                    base += b
                    held += v
                    print(
                        f"round {n + 1}: baseline p50 {statistics.median(b):.2f} ms, "
                        f"with {args.held} held p50 {statistics.median(v):.2f} ms"
                    )
            finally:
                server.stop()
    b50, v50 = statistics.median(base), statistics.median(held)
    b99, v99 = pct(base, 0.99), pct(held, 0.99)
    print(
        f"ordinary requests (/healthz + a stored segment), {len(held)} each:\n"
        f"  baseline (nothing held):    p50 {b50:.2f} ms  p99 {b99:.2f} ms\n"
        f"  vidhost ({args.held} held in flight): p50 {v50:.2f} ms  p99 {v99:.2f} ms\n"
        f"  ratio: p50 {v50 / b50:.2f}x  p99 {v99 / b99:.2f}x"
    )


if __name__ == "__main__":
    main()
