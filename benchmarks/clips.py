"""A clip's whole ladder stored (ADR 0067) vs bare ffmpeg encoding the same span into the
ladder, interleaved rounds in one run.

    python benchmarks/clips.py [--seconds 300] [--clip 60] [--size 1920x1080] [--rounds 3]
        [--quick] [--tmp DIR]

Set-up (untimed): a real ``vidhost serve`` (embedded profile, vidhost's defaults), a
``--seconds`` source uploaded and its whole ladder stored (the source's segments are what a
clip copies).

- vidhost: from ``POST /api/videos/{id}/clips {"start", "end"}`` (a ``--clip`` s span from
  the middle of the source, 1.3 s off the source's segment grid so that both edges are
  partial segments) until the clip's ``transcode`` task is ``completed`` (the clip's source
  cut from the original, probed, kept; its edge chunks encoded, its inner chunk copied from
  the source's segments, its audio encoded; every segment of every rung stored). The clip is
  deleted afterwards (untimed), so each round makes it anew.
- Baseline: one ffmpeg process encoding the same span (an input seek, ``-t``) into the same
  ladder with the same x264 settings (``transcode.bare_ladder``: the single-pass ladder).

Goal (issue 21): median vidhost / median ffmpeg <= 0.3. Each round also prints what the
clip's plan copied (segments copied / all) and the load average.

``--quick``: a 40 s 640x360 source, a 20 s clip, one round: checks the script works; its
figures mean nothing. Do not run the full figures on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import httpx
from _common import (
    ServerProcess,
    bench_dir,
    bench_env,
    describe,
    make_source,
    reap,
    upload,
    wait_stored,
    warm_up,
)
from _rounds import Contender, Measured, print_ratio, run_rounds
from transcode import bare_ladder

from vidhost.app.settings import Settings
from vidhost.core import layout
from vidhost.core.clips import REUSE_KEY, reused
from vidhost.core.segments import SegmentPlan

GOAL = 0.3
OFF_GRID = 1.3
"""Seconds the clip starts after the middle's segment boundary: both its edges are partial."""


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def copied(storage: Path, clip_id: str) -> str:
    """How much of the clip's ladder its plan copies from the source (segments per rung)."""
    plan = SegmentPlan.from_json((storage / layout.plan_key(clip_id)).read_bytes())
    if REUSE_KEY not in plan.extra:
        return f"nothing copied, {len(plan.segments)} segments encoded"
    inner = sum(c.segment_count for c in plan.chunks if reused(plan, c.index) is not None)
    return f"{inner} of {len(plan.segments)} segments copied on {len(plan.renditions)} rungs"


def vidhost_clip(server: ServerProcess, video_id: str, start: float, end: float) -> Measured:
    started = time.time()
    r = httpx.post(
        f"{server.url}/api/videos/{video_id}/clips", json={"start": start, "end": end}, timeout=60
    )
    r.raise_for_status()
    clip_id = r.json()["id"]
    stored = wait_stored(server.url, clip_id, interval=0.1)
    seconds = stored.stored - started
    note = (
        f"ready at {stored.ready - started:.2f} s; "
        f"{copied(server.data_dir / 'storage', clip_id)}; load {_load()}"
    )
    httpx.delete(f"{server.url}/api/videos/{clip_id}", timeout=60).raise_for_status()
    return Measured(seconds, note)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=300, help="the source's length")
    parser.add_argument("--clip", type=float, default=60.0, help="the clip's length")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--quick", action="store_true", help="tiny source, 1 round (validation)")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.clip, args.size = 1, 40, 20.0, "640x360"
    settings = Settings()
    root = bench_dir(args.tmp)
    print(f"vidhost {describe(settings)}; {os.cpu_count()} CPUs, load average {_load()}")
    source = make_source(
        root / "clips" / f"source-{args.seconds}s-{args.size}.mp4",
        seconds=args.seconds,
        size=args.size,
    )
    middle = (args.seconds - args.clip) / 2
    start = middle - middle % settings.segment_seconds + OFF_GRID
    end = start + args.clip
    run_dir = root / "runs" / f"clips-{os.getpid()}"
    server = ServerProcess(run_dir, bench_env(settings)).start()
    try:
        warm_up(server.url, root / "clips")
        video_id = upload(server.url, source).video_id
        wait_stored(server.url, video_id)  # the source's whole ladder: what a clip copies
        results = run_rounds(
            f"a {args.clip:g} s clip ({start:g}-{end:g} s) of a {args.seconds} s {args.size} "
            "source, its whole ladder stored",
            args.rounds,
            [
                Contender(
                    "vidhost (request -> stored)",
                    lambda n: vidhost_clip(server, video_id, start, end),
                ),
                Contender(
                    "bare ffmpeg ladder of the span",
                    lambda n: Measured(
                        bare_ladder(
                            source,
                            run_dir / f"bare-{n}",
                            settings,
                            seconds=args.clip,
                            start=start,
                        ),
                        f"load {_load()}",
                    ),
                ),
            ],
        )
        ok = print_ratio(
            "vidhost / bare ladder",
            results.median("vidhost (request -> stored)"),
            results.median("bare ffmpeg ladder of the span"),
            GOAL,
            at_most=True,
        )
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()
        reap(run_dir)
    if args.quick:
        print("(--quick: the script works; its figures mean nothing)")
    elif not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
