"""Commit-to-client latency of real-time status (issue 5).

A real ``vidhost serve`` (embedded profile: SQLite, in-process fan-out) with 200 WebSockets
open: half on seed 001 ``/video/{id}/status/stream``, half on seed 004 ``/ws/{client_id}``.
A separate *writer* process (standing in for a worker) commits 1 000 changes - video state
changes (PROCESSING, READY) for the seed 001 sockets and task status changes for the seed
004 ones - each of which must reach exactly one socket. Latency = time the message arrives
at the client - time the writer's commit returned (same machine, same clock).

Baseline, measured in the same run: a bare poller in another process that reads the
``events`` table every 20 ms (the tailer's interval) - the floor of any design that learns
about a commit by polling, before JSON, the event loop and the socket.

    python benchmarks/status_latency.py [--sockets 200] [--changes 1000] [--rate 250]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets
from sqlalchemy import select

from tests.server import ServerProcess
from vidhost.adapters.db.tables import events
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState

GOAL_P99_MS = 50.0
POLL_INTERVAL = 0.02


def key_of(video_id: str, kind: str, value: object) -> str:
    return f"{video_id}|{kind}|{value}"


# --- writer process ---------------------------------------------------------------------------


def writer(data_dir: str, plan_path: str, rate: float) -> None:
    os.environ["VIDHOST_DATA_DIR"] = data_dir
    container = build_container(Settings(), migrate_db=False)
    plan = json.loads(Path(plan_path).read_text())
    videos = {v: container.repo.get_video(v) for v in plan["state_videos"]}
    steps: list[tuple[str, str, object]] = []
    for state in ("processing", "ready"):
        steps += [(v, "state", state) for v in plan["state_videos"]]
    for progress in plan["progress_steps"]:
        steps += [(v, "task", progress) for v in plan["task_videos"]]
    steps = steps[: plan["changes"]]
    out = sys.stdout
    interval = 1.0 / rate
    start = time.perf_counter()
    for i, (video_id, kind, value) in enumerate(steps):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if kind == "state":
            video = videos[video_id]
            assert video is not None
            container.videos.change_state(video, VideoState(str(value)))
        else:
            p = float(value)  # type: ignore[arg-type]
            status = TaskStatus.COMPLETED if p >= 100 else TaskStatus.PROCESSING
            container.videos.report_task(video_id, TaskKind.TRANSCODE, status, p)
        out.write(json.dumps([key_of(video_id, kind, value), time.time()]) + "\n")
    out.flush()
    container.close()


# --- baseline: bare poller --------------------------------------------------------------------


def poller(data_dir: str) -> None:
    """Process entry point: poll until stdin closes, then print what was seen when."""
    bare = BarePoller(Path(data_dir))
    print("ready", flush=True)
    bare.start()
    sys.stdin.read()
    bare.stop.set()
    bare.join()
    print(json.dumps(bare.seen), flush=True)


class BarePoller(threading.Thread):
    """Reads new ``events`` rows every 20 ms and notes when each was first seen."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(daemon=True)
        from vidhost.adapters.db.engine import make_engine

        self.engine = make_engine(f"sqlite:///{data_dir / 'vidhost.db'}")
        with self.engine.connect() as conn:
            self.last = int(
                conn.execute(select(events.c.id).order_by(events.c.id.desc())).scalar() or 0
            )
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                rows = conn.execute(select(events).where(events.c.id > self.last)).mappings().all()
            now = time.time()
            for row in rows:
                self.last = max(self.last, row["id"])
                data = row["data"]
                if row["type"] == "video.state":
                    self.seen.setdefault(key_of(row["video_id"], "state", data["state"]), now)
                else:
                    self.seen.setdefault(key_of(row["video_id"], "task", data["progress"]), now)
            self.stop.wait(POLL_INTERVAL)


# --- main -------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(ms):>5}  p50={statistics.median(ms):6.1f} ms  "
        f"p99={pct(ms, 0.99):6.1f} ms  max={max(ms):6.1f} ms"
    )


async def run(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="vidhost-bench-"))
    env = {
        "VIDHOST_AUTH": "none",
        "VIDHOST_EMBEDDED_WORKER": "false",
        "VIDHOST_LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(tmp / "data", env).start()
    try:
        half = args.sockets // 2
        task_steps = max(1, (args.changes - 2 * half) // max(1, args.sockets - half))
        progress_steps = [round(100 * (i + 1) / task_steps, 1) for i in range(task_steps)]
        setup = build_container(Settings(data_dir=server.data_dir), migrate_db=False)
        state_videos = [
            setup.videos.create_pending(owner="bench", state=VideoState.UPLOADED).id
            for _ in range(half)
        ]
        task_videos = []
        for i in range(args.sockets - half):
            video = setup.videos.create_pending(owner="bench", client_id=f"client-{i}")
            setup.repo.ensure_task(video.id, TaskKind.TRANSCODE)
            task_videos.append(video.id)
        setup.close()
        plan = tmp / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "state_videos": state_videos,
                    "task_videos": task_videos,
                    "progress_steps": progress_steps,
                    "changes": args.changes,
                }
            )
        )
        base = server.url.replace("http://", "ws://")
        urls = [f"{base}/video/{v}/status/stream" for v in state_videos]
        urls += [f"{base}/ws/client-{i}" for i in range(len(task_videos))]
        sockets = [await websockets.connect(u, max_queue=None) for u in urls]
        received: dict[str, float] = {}

        async def reader(ws: websockets.ClientConnection) -> None:
            async for raw in ws:
                now = time.time()
                m = json.loads(raw)
                if "state" in m and "videoId" in m:
                    received.setdefault(key_of(m["videoId"], "state", m["state"].lower()), now)
                elif m.get("type") == "status_update":
                    received.setdefault(key_of(m["file_id"], "task", m["progress"]), now)

        readers = [asyncio.ensure_future(reader(ws)) for ws in sockets]
        await asyncio.sleep(1.0)  # initial messages and replays settle
        received.clear()
        bare = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--poller",
            str(server.data_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert bare.stdout is not None
        await bare.stdout.readline()  # ready
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--writer",
            str(server.data_dir),
            str(plan),
            "--rate",
            str(args.rate),
            stdout=subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        commits = dict(json.loads(line) for line in out.decode().splitlines())
        deadline = time.monotonic() + 10
        while (
            len([k for k in commits if k in received]) < len(commits)
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.05)
        seen = json.loads((await bare.communicate(b""))[0].decode())
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
        vid = [(received[k] - t) * 1000 for k, t in commits.items() if k in received]
        base_ms = [(seen[k] - t) * 1000 for k, t in commits.items() if k in seen]
        missing = len(commits) - len(vid)
        rate = f"{args.rate:g}/s"
        print(
            f"{len(sockets)} sockets, {len(commits)} changes committed by another process at {rate}"
        )
        print(summary("baseline: bare 20 ms poll of events", base_ms))
        print(summary("vidhost: commit -> WebSocket client", vid))
        print(f"goal: p99 < {GOAL_P99_MS:g} ms (embedded profile); missing messages: {missing}")
        ok = missing == 0 and pct(vid, 0.99) < GOAL_P99_MS
        print("PASS" if ok else "MISS")
        return 0 if ok else 1
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=250.0, help="commits per second")
    parser.add_argument("--writer", nargs=2, metavar=("DATA_DIR", "PLAN"))
    parser.add_argument("--poller", metavar="DATA_DIR")
    args = parser.parse_args()
    if args.poller:
        poller(args.poller)
        return 0
    if args.writer:
        writer(args.writer[0], args.writer[1], args.rate)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
