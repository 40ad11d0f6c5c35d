"""A burst of uploads, then one short clip (issue 11 item 4, ADR 0073).

A real ``vidhost serve`` (embedded profile: SQLite database and broker, its own worker).
``--uploads`` tiny clips are posted at once (8 at a time), then one short clip. Printed:

- the short clip's time from upload to ready;
- its own processing time (the same clip uploaded again on the idle server);
- the time to work through the queue ahead of it, measured: the unfinished tasks of the
  burst when it was uploaded (the queue length) x the mean time a task ran / the worker's
  slots (the drain rate at full speed);
- own + queue time (the goal: time to ready is not more than that), and the ratio;
- duplicate dispatches (messages sent for a task beyond its first, from the ``dispatches``
  column; the goal is 0) and messages left in the broker table after the drain (0).

    python benchmarks/burst.py [--uploads 200] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks._common import ServerProcess, make_source
from tests.e2e.helpers import AUTH_ENV, auth


def _upload(base: str, path: Path, headers: dict[str, str]) -> str:
    with open(path, "rb") as fh:
        r = httpx.post(
            base + "/upload",
            files={"file": (path.name, fh, "video/mp4")},
            headers=headers,
            timeout=120,
        )
    r.raise_for_status()
    return str(r.json()["videoId"])


def _ready_at(db: Path) -> dict[str, float]:
    """Video id -> when it became ready (epoch seconds), for the ready ones."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute(
            "SELECT id, ready_at FROM videos WHERE state = 'ready' AND ready_at IS NOT NULL"
        ).fetchall()
    from datetime import UTC, datetime

    def epoch(at: object) -> float:
        value = datetime.fromisoformat(str(at))  # SQLite keeps UTC, naive
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()

    return {vid: epoch(at) for vid, at in rows}


SUCCEEDED = re.compile(r"Task vidhost\.run_task\[[^\]]+\] succeeded in ([0-9.]+)s")

PARTS_PER_TINY_CLIP = 2
"""One chunk and the audio: what a burst video's transcode adds once it has planned."""


def _tasks_ahead(db: Path, burst: list[str]) -> int:
    """Unfinished tasks of the burst (a planning transcode counts for itself and the parts it
    will add; a transcode waiting for its parts is not work)."""
    wanted = set(burst)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute("SELECT video_id, kind, status FROM tasks").fetchall()
    planned = {v for v, kind, _ in rows if kind == "transcode_chunk"}
    ahead = 0
    for video_id, kind, status in rows:
        if video_id not in wanted or status in ("completed", "failed"):
            continue
        if kind == "transcode":
            ahead += 0 if video_id in planned else 1 + PARTS_PER_TINY_CLIP
        else:
            ahead += 1
    return ahead


def _states(db: Path, ids: list[str]) -> dict[str, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute("SELECT id, state FROM videos").fetchall()
    wanted = set(ids)
    return {vid: state for vid, state in rows if vid in wanted}


def _wait(db: Path, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = _states(db, ids)
        if len(states) == len(ids) and all(s in ("ready", "failed") for s in states.values()):
            failed = [v for v, s in states.items() if s == "failed"]
            if failed:
                raise SystemExit(f"{len(failed)} video(s) failed, e.g. {failed[0]}")
            return
        time.sleep(0.2)
    raise SystemExit("timed out waiting for videos")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's task slots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidhost-burst-") as tmp:
        root = Path(tmp)
        tiny = make_source(root / "tiny.mp4", seconds=1, size="160x120")
        short = make_source(root / "short.mp4", seconds=3, size="320x240")
        env = {
            **AUTH_ENV,
            "VIDHOST_LADDER_HEIGHTS": "[240]",
            "VIDHOST_WORKER_CONCURRENCY": str(args.concurrency),
            # the defaults (ServerProcess sets test values)
            "VIDHOST_TASK_STALE_AFTER": "5",
            "VIDHOST_RECONCILE_INTERVAL": "2",
            "VIDHOST_SEGMENT_SECONDS": "4",
        }
        server = ServerProcess(root / "data", env).start()
        db = root / "data" / "vidhost.db"
        headers = auth("alice")
        try:
            started = time.time()
            with ThreadPoolExecutor(8) as pool:
                burst = list(
                    pool.map(lambda _: _upload(server.url, tiny, headers), range(args.uploads))
                )
            uploaded = time.time()
            tasks_ahead = _tasks_ahead(db, burst)
            ready = _ready_at(db)
            queue_length = sum(1 for v in burst if v not in ready)
            short_id = _upload(server.url, short, headers)
            short_sent = time.time()
            _wait(db, [*burst, short_id], timeout=3600)
            ready = _ready_at(db)
            short_ready = ready[short_id] - short_sent
            drained = max(ready[v] for v in burst) - short_sent
            # The time to work through the queue ahead: its tasks x the mean time a task ran
            # (the worker's own "succeeded in" figures) / the worker's slots. A transport that
            # idles between tasks makes the short clip later than this.
            ran = [float(x) for x in SUCCEEDED.findall(server.log_path.read_text())]
            per_task = statistics.mean(ran)
            queue_time = tasks_ahead * per_task / args.concurrency
            # Its own processing time: the same clip, on the idle server.
            own_id = _upload(server.url, short, headers)
            own_sent = time.time()
            _wait(db, [own_id], timeout=600)
            own = _ready_at(db)[own_id] - own_sent
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows, sent = conn.execute("SELECT count(*), sum(dispatches) FROM tasks").fetchone()
            time.sleep(3)  # a reconciler pass or two after the drain
            with sqlite3.connect(f"file:{root / 'data' / 'broker.db'}?mode=ro", uri=True) as conn:
                left = conn.execute("SELECT count(*) FROM kombu_message").fetchone()[0]
        finally:
            server.stop()
    print(f"burst: {len(burst)} uploads of a 1 s 160x120 clip in {uploaded - started:.1f} s")
    print(f"queue ahead of the short clip: {queue_length} videos not ready, {tasks_ahead} tasks")
    print(
        f"drain rate: {args.concurrency / per_task:.2f} tasks/s ({len(ran)} runs, mean"
        f" {per_task:.2f} s, {args.concurrency} slots); the burst drained {drained:.1f} s after"
        " the short clip's upload"
    )
    print(f"short clip (3 s 320x240) time to ready: {short_ready:.1f} s")
    print(f"  its own processing time (idle server): {own:.1f} s")
    print(f"  time to work through the queue ahead:  {queue_time:.1f} s")
    print(f"  own + queue: {own + queue_time:.1f} s; ratio {short_ready / (own + queue_time):.2f}")
    print(f"duplicate dispatches: {int(sent) - int(rows)} (tasks {rows}, messages sent {sent})")
    print(f"messages left in the broker table after the drain: {left}")


if __name__ == "__main__":
    main()
