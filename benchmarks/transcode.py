"""The whole ladder stored through vidhost vs the bare single-pass ffmpeg ladder, same clip,
interleaved rounds (vidhost, ffmpeg, vidhost, ffmpeg, ...) in the same run.

    python benchmarks/transcode.py [--seconds 30] [--size 1920x1080] [--rounds 3] [--quick]

vidhost: a real ``vidhost serve`` (embedded profile, its defaults: embedded worker, SQLite,
local storage), a fresh data dir per round, warmed up with a 1 s clip; timed from the start
of ``POST /upload`` until the ``transcode`` task is ``completed`` (every segment of every
rendition stored; since issue 10 ``ready`` may come earlier, and is printed too).
Baseline: one ffmpeg process encoding the same ladder with the same x264 settings
(``vidhost.media.hls.build_hls_command``, the pre-ADR 0060 single pass).
Goal (issue 2, issue 10): median vidhost / median ffmpeg <= 1.15.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

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

from vidhost.app.settings import Settings
from vidhost.media.hls import build_hls_command
from vidhost.media.ladder import select_ladder
from vidhost.media.probe import probe

GOAL = 1.15


def bare_ladder(
    source: Path,
    out_dir: Path,
    settings: Settings,
    *,
    seconds: float | None = None,
    lowest_only: bool = False,
    start: float | None = None,
) -> float:
    """The equivalent work without vidhost: one ffmpeg process for the whole ladder (or its
    first ``seconds`` only, or the ``seconds`` from ``start``, or only its lowest rung).
    Seconds of wall time."""
    info = probe(source)
    assert info.video is not None
    ladder = select_ladder(
        info.video.display_width, info.video.display_height, settings.ladder_heights
    )
    if lowest_only:
        ladder = ladder[-1:]
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = build_hls_command(
        ffmpeg(),
        str(source),
        str(out_dir),
        ladder,
        has_audio=info.audio is not None,
        fps=info.video.fps,
        segment_seconds=settings.segment_seconds,
        preset=settings.x264_preset,
    )
    if seconds is not None:  # read only the first seconds of the input (from ``start``)
        at = cmd.index("-i")
        cmd[at:at] = ["-t", f"{seconds:g}"]
    if start is not None:  # an input seek: decoding starts at ``start``, frame-accurate
        at = cmd.index("-i")
        cmd[at:at] = ["-ss", f"{start:g}"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out_dir, ignore_errors=True)
    return elapsed


def vidhost_ladder(source: Path, run_dir: Path, settings: Settings, cache: Path) -> Measured:
    """Upload to a fresh, warmed-up ``vidhost serve`` and wait for the whole ladder."""
    server = ServerProcess(run_dir, bench_env(settings)).start()
    try:
        warm_up(server.url, cache)
        sent = upload(server.url, source)
        stored = wait_stored(server.url, sent.video_id)
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()
        reap(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)
    return Measured(
        stored.stored - sent.started,
        f"upload {sent.answered - sent.started:.2f} s, "
        f"ready at {stored.ready - sent.started:.2f} s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="4 s 640x360, 1 round (validation)")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.size, args.rounds = 4, "640x360", 1
    settings = Settings()  # the defaults vidhost serve uses
    root = bench_dir(args.tmp)
    source = make_source(
        root / "clips" / f"source-{args.seconds}s-{args.size}.mp4",
        seconds=args.seconds,
        size=args.size,
    )
    runs = root / "runs"
    print(f"clip: {args.seconds} s {args.size}; {describe(settings)}")
    results = run_rounds(
        "whole ladder stored",
        args.rounds,
        [
            Contender(
                "vidhost upload-to-ladder-stored",
                lambda n: vidhost_ladder(source, runs / f"transcode-{n}", settings, root / "clips"),
            ),
            Contender(
                "bare ffmpeg ladder (baseline)",
                lambda n: Measured(bare_ladder(source, runs / f"bare-{n}", settings)),
            ),
        ],
    )
    print_ratio(
        "ratio vidhost/ffmpeg (medians)",
        results.median("vidhost upload-to-ladder-stored"),
        results.median("bare ffmpeg ladder (baseline)"),
        GOAL,
        at_most=True,
    )


if __name__ == "__main__":
    main()
