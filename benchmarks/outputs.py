"""Static renditions (ADR 0065): an MP4 made from a stored ladder vs a bare ffmpeg remux of the
same segments, interleaved rounds; and the server's memory while it serves a large MP4.

    python benchmarks/outputs.py [--only remux,rss] [--seconds 60] [--size 1920x1080]
        [--rounds 3] [--serve-bytes 1073741824] [--quick] [--tmp DIR]

Set-up (untimed): a real ``vidhost serve`` (embedded profile, vidhost's defaults), a clip
uploaded and its whole ladder stored.

- ``remux`` — vidhost: from ``POST /api/videos/{id}/downloads {"rendition": "highest"}``
  until the ``/api/events`` socket (connected before) says it is ``ready`` (the task
  dispatched, the top rung's segments and the audio's read where they are stored, remuxed,
  stored; the event, not a client poll, ends the timing), then the download is deleted so the
  next round makes it again. Baseline: the same init + segments concatenated with
  ``cat``-like copies, then ``ffmpeg -i video -i audio -map 0:v -map 1:a -c copy -movflags
  +faststart``, timed from the first copy to ffmpeg's exit. Goal (issue 21): median vidhost /
  median ffmpeg <= 1.5.
- ``rss`` — the API process's resident memory (psutil, sampled every 50 ms) while it serves
  the MP4 over and over (4 clients at a time, each reading it whole) until ``--serve-bytes``
  (default 1 GiB) went out; the figure is the peak growth over the RSS before. Goal (issue
  21): < 64 MiB. The body is streamed from storage in 256 KiB blocks (``Storage.iter_range``)
  whatever the file's size.

``--quick``: a 6 s 640x360 clip, one round, 64 MiB served: checks the script works; its
figures mean nothing. Do not run the full figures on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from _common import (
    ServerProcess,
    bench_dir,
    bench_env,
    describe,
    ffmpeg,
    make_source,
    reap,
    upload,
    wait_stored,
    warm_up,
)
from _rounds import Contender, Measured, print_ratio, run_rounds
from websockets.sync.client import connect

from vidhost.app.settings import Settings
from vidhost.core import layout
from vidhost.core.downloads import rung_keys
from vidhost.core.segments import SegmentPlan

FIGURES = ("remux", "rss")
MIB = 1024 * 1024


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_download(base: str, video_id: str, name: str, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < deadline:
            body = client.get(f"{base}/api/videos/{video_id}").json()
            found = [d for d in body["downloads"] if d["name"] == name]
            if found and found[0]["status"] != "preparing":
                if found[0]["status"] != "ready":
                    raise RuntimeError(f"{name} of {video_id}: {found[0]}")
                return dict(found[0])
            time.sleep(0.05)
    raise RuntimeError(f"{name} of {video_id} not ready after {timeout:.0f} s")


def vidhost_remux(base: str, video_id: str) -> Measured:
    with connect(base.replace("http://", "ws://") + "/api/events") as events:
        json.loads(events.recv(timeout=30))  # connected
        started = time.monotonic()
        r = httpx.post(f"{base}/api/videos/{video_id}/downloads", json={"rendition": "highest"})
        r.raise_for_status()
        while True:
            message = json.loads(events.recv(timeout=1800))
            if message.get("type") == "download" and message.get("name") == "highest.mp4":
                break
        seconds = time.monotonic() - started
    item = wait_download(base, video_id, "highest.mp4")
    httpx.delete(f"{base}/api/videos/{video_id}/downloads/highest.mp4").raise_for_status()
    return Measured(seconds, f"{item['bytes'] / MIB:.1f} MiB, load {_load()}")


def bare_remux(storage: Path, video_id: str, plan: SegmentPlan, work: Path) -> Measured:
    """What vidhost's task does, with nothing around it: concatenate, ``ffmpeg -c copy``."""
    top = max(plan.renditions, key=lambda r: (r.height, r.video_bitrate)).name
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        started = time.monotonic()
        inputs = []
        for rung in (top, layout.AUDIO_RENDITION):
            dest = Path(tmp) / f"{rung}.mp4"
            with dest.open("wb") as out:
                for key in rung_keys(plan, video_id, rung):
                    out.write((storage / key).read_bytes())
            inputs += ["-i", str(dest)]
        out_path = Path(tmp) / "out.mp4"
        subprocess.run(
            [ffmpeg(), "-nostdin", "-v", "error", "-y", *inputs, "-map", "0:v:0", "-map", "1:a:0",
             "-c", "copy", "-movflags", "+faststart", str(out_path)],
            check=True,
        )  # fmt: skip
        seconds = time.monotonic() - started
        size = out_path.stat().st_size
    return Measured(seconds, f"{size / MIB:.1f} MiB, load {_load()}")


def remux(args: argparse.Namespace, server: ServerProcess, video_id: str, work: Path) -> bool:
    storage = server.data_dir / "storage"
    plan = SegmentPlan.from_json((storage / layout.plan_key(video_id)).read_bytes())
    results = run_rounds(
        f"highest.mp4 from the stored ladder, {args.seconds} s {args.size}",
        args.rounds,
        [
            Contender("vidhost (request -> ready)", lambda n: vidhost_remux(server.url, video_id)),
            Contender("bare ffmpeg -c copy", lambda n: bare_remux(storage, video_id, plan, work)),
        ],
    )
    return print_ratio(
        "vidhost / bare remux",
        results.median("vidhost (request -> ready)"),
        results.median("bare ffmpeg -c copy"),
        1.5,
        at_most=True,
    )


def rss(args: argparse.Namespace, server: ServerProcess, video_id: str) -> bool:
    base = server.url
    httpx.post(f"{base}/api/videos/{video_id}/downloads", json={"rendition": "highest"})
    item = wait_download(base, video_id, "highest.mp4")
    api = psutil.Process(server.proc.pid)
    before = api.memory_info().rss
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.05):
            peak = max(peak, api.memory_info().rss)

    sent = 0
    passes = max(1, -(-args.serve_bytes // item["bytes"]))

    def read_whole(_: int) -> int:
        got = 0
        with httpx.stream("GET", item["url"], timeout=300) as r:
            r.raise_for_status()
            for block in r.iter_bytes(1024 * 1024):
                got += len(block)
        return got

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(4) as pool:
            sent = sum(pool.map(read_whole, range(passes)))
    finally:
        stop.set()
        sampler.join()
    seconds = time.monotonic() - started
    growth = (peak - before) / MIB
    ok = growth < 64
    print(
        f"== server RSS while serving {sent / MIB:.0f} MiB ({passes} reads of a "
        f"{item['bytes'] / MIB:.1f} MiB MP4, 4 at a time, {sent / MIB / seconds:.0f} MiB/s)\n"
        f"  RSS before {before / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB: growth "
        f"{growth:.1f} MiB  (goal < 64)  {'PASS' if ok else 'FAIL'}",
        flush=True,
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(FIGURES), help=",".join(FIGURES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--serve-bytes", type=int, default=1024 * MIB)
    parser.add_argument("--quick", action="store_true", help="tiny clip, 1 round (validation)")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    args = parser.parse_args()
    only = [f.strip() for f in args.only.split(",") if f.strip()]
    if set(only) - set(FIGURES):
        parser.error(f"choose from {','.join(FIGURES)}")
    if args.quick:
        args.rounds, args.seconds, args.size, args.serve_bytes = 1, 6, "640x360", 64 * MIB
    settings = Settings()
    root = bench_dir(args.tmp)
    print(f"vidhost {describe(settings)}; {os.cpu_count()} CPUs, load average {_load()}")
    source = make_source(
        root / "clips" / f"source-{args.seconds}s-{args.size}.mp4",
        seconds=args.seconds,
        size=args.size,
    )
    run_dir = root / "runs" / f"outputs-{os.getpid()}"
    server = ServerProcess(run_dir, bench_env(settings)).start()
    verdicts = []
    try:
        warm_up(server.url, root / "clips")
        video_id = upload(server.url, source).video_id
        wait_stored(server.url, video_id)
        if "remux" in only:
            verdicts.append(remux(args, server, video_id, run_dir))
        if "rss" in only:
            verdicts.append(rss(args, server, video_id))
    finally:
        server.stop()
        reap(run_dir)
    if args.quick:
        print("(--quick: the script works; its figures mean nothing)")
    elif not all(verdicts):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
