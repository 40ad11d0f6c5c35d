"""A reader faster than real time, started the moment a video is ready (issue 19, ADR 0063).

- **vidhost**: from the start of ``POST /upload`` until ``ffmpeg -i .../manifest -f null -``
  (ffmpeg's own HLS client, the top rung and the audio, as fast as it can read), started the
  moment the status says ``ready``, has decoded the whole video;
- **baseline**, same run: from the start of the upload until the whole ladder is stored with
  nobody reading (``transcode.py``'s vidhost figure).

Goal: the read ends about when the ladder would be stored anyway (ratio ≤ 1.1): the chunks
ahead of the reader are encoded at full priority instead of the reader waiting for each one.
Every run is a real ``vidhost serve`` (embedded profile, vidhost's defaults), warmed up.

    python benchmarks/read_after_ready.py [--seconds 30] [--size 1920x1080] [--rounds 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
from _common import (
    ServerProcess,
    bench_dir,
    bench_env,
    describe,
    ffmpeg,
    make_source,
    reap,
    upload,
    warm_up,
)
from _rounds import Contender, Measured, print_ratio, run_rounds
from transcode import vidhost_ladder

from vidhost.settings import Settings


def _seconds(text: str) -> float:
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def read_after_ready(source: Path, run_dir: Path, settings: Settings, cache: Path) -> Measured:
    server = ServerProcess(run_dir, bench_env(settings)).start()
    try:
        warm_up(server.url, cache)
        sent = upload(server.url, source)
        with httpx.Client(timeout=30) as client:
            while client.get(f"{server.url}/api/videos/{sent.video_id}/status").json()[
                "state"
            ] not in ("ready", "failed"):
                time.sleep(0.05)
        ready = time.time()
        out = subprocess.run(
            [ffmpeg(), "-i", f"{server.url}/stream/{sent.video_id}/manifest", "-f", "null", "-"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        done = time.time()
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()
        reap(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)
    if out.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {out.stderr[-2000:]}")
    times = re.findall(r"time=(\d+:\d+:\d+\.\d+)", out.stderr)
    decoded = _seconds(times[-1]) if times else 0.0
    return Measured(
        done - sent.started,
        f"ready at {ready - sent.started:.2f} s, read {done - ready:.2f} s, "
        f"decoded {decoded:.2f} s of media",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="8 s 640x360 (validation)")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.size, args.rounds = 8, "640x360", 1
    settings = Settings()  # the defaults vidhost serve uses
    root = bench_dir(args.tmp)
    source = make_source(
        root / "clips" / f"source-{args.seconds}s-{args.size}.mp4",
        seconds=args.seconds,
        size=args.size,
    )
    runs, clips = root / "runs", root / "clips"
    print(f"clip: {args.seconds} s {args.size}; {describe(settings)}")
    name, base = "ffmpeg read from ready to the end", "ladder stored, nobody reading"
    results = run_rounds(
        f"read right after ready, {args.seconds} s {args.size}",
        args.rounds,
        [
            Contender(name, lambda n: read_after_ready(source, runs / f"r-{n}", settings, clips)),
            Contender(base, lambda n: vidhost_ladder(source, runs / f"l-{n}", settings, clips)),
        ],
    )
    print_ratio(f"{name} / {base}", results.median(name), results.median(base), 1.1, at_most=True)


if __name__ == "__main__":
    main()
