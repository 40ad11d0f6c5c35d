"""Issues 10 and 19's figures, each next to its baseline from the same run, each the median
of interleaved rounds (vidhost, baseline, vidhost, baseline, ...); every round is printed.

    python benchmarks/progressive.py [--only ttff,ladder,workers,read,stall] [--rounds 3]
        [--quick]

- ttff: time to first frame, from the ``POST /upload`` response until hls.js in headless
  Chromium shows a frame (the first ``requestVideoFrameCallback``; the first ``timeupdate``
  with ``currentTime > 0`` is printed beside it). The browser is started and the player page
  loaded before the upload (untimed); the page polls the manifest every 100 ms until it is
  200, then plays it. Measured to the first frame, not to ``ready``. A round is: vidhost on
  the short clip (60 s 1080p), bare ffmpeg encoding the first segment (4 s) of the full
  ladder with vidhost's single-pass args (goal <= 1.0x), vidhost on the long clip (5 min
  1080p; goal <= 1.2x the short clip's figure), bare ffmpeg encoding the first 4 s of the
  240p rung alone (stretch goal: vidhost <= that + 1 s), and, informative, vidhost on the
  short clip with hls.js told to start at the lowest rung (``startLevel: 0``; by default
  hls.js picks its first rung from its bandwidth estimate, 720p on loopback).
- ladder: the whole ladder stored (the ``transcode`` task ``completed``), 60 s 1080p,
  from the start of the upload, vs the bare single-pass ladder (``benchmarks/transcode.py``'s
  figure and baseline; goal <= 1.15x).
- workers: one 60 s 1080p video, from the upload response until the ladder is stored, with
  two ``vidhost worker`` processes each pinned to one core (``taskset``) vs one worker
  pinned to one core (goal: speed-up >= 1.7x). The API (``vidhost serve`` without its
  embedded worker) is not pinned.

- read (issue 19): ffmpeg's own HLS client (``ffmpeg -i <manifest> -map 0:v:0 -map 0:a:0
  -f null -``: the top rung and the audio, as fast as it can read) started the moment the
  status reads ``ready``, from the start of the upload until ffmpeg has read the whole video,
  vs vidhost's own time from the start of the upload until the whole ladder is stored, on
  the 60 s clip (goal <= 1.1x: a reader faster than real time gets its chunks encoded
  ahead, not one request at a time).
- stall (issue 19): hls.js (default configuration) plays the 60 s clip at 1x from ``ready``
  while the ladder encodes; the time it spends waiting for data after playback began, vs
  the clip's duration (goal <= 10 %).

Every vidhost measurement is a real ``vidhost serve`` (embedded profile: SQLite, embedded
broker, local storage, the default ladder, preset, segments and chunks) with its own data dir,
warmed up with a 1 s clip. Clips (testsrc2 + 440 Hz sine) are cached in ``<tmp>/clips``.
``--quick``: tiny clips, 1 round, to check that the script works (its figures mean nothing).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from _common import (
    ROOT,
    ServerProcess,
    WorkerProcess,
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
from transcode import bare_ladder, vidhost_ladder

from vidhost.app.settings import Settings
from vidhost.media.binaries import ffmpeg_path

FIGURES = ("ttff", "ladder", "workers", "read", "stall")
JS = ROOT / "tests" / "js"
PROGRESSIVE = JS / "hls_progressive.mjs"
DRIVER = Path(__file__).resolve().parent / "first_frame.mjs"
FRAME_TIMEOUT = 1800.0


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def player_page() -> Iterator[str]:
    """tests/js/player.html (hls.js) served from another origin than the API, as in the e2e
    tests; yields its URL."""
    if not (JS / "node_modules" / "hls.js").is_dir():
        raise SystemExit(f"no hls.js in {JS}/node_modules: run `make install-test` first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(JS)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/player.html"
    finally:
        server.shutdown()


def first_frame(
    page: str,
    source: Path,
    run_dir: Path,
    settings: Settings,
    clips: Path,
    start_level: int | None = None,
) -> Measured:
    """Upload ``source`` to a fresh vidhost and time the first frame hls.js shows
    (``start_level``: hls.js ``startLevel``, 0 = the lowest rung; None: hls.js's choice)."""
    server = ServerProcess(run_dir, bench_env(settings)).start()
    driver: subprocess.Popen[str] | None = None
    try:
        warm_up(server.url, clips)
        driver = subprocess.Popen(
            ["node", str(DRIVER), page, str(FRAME_TIMEOUT)]
            + ([] if start_level is None else [str(start_level)]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert driver.stdin is not None and driver.stdout is not None
        if json.loads(driver.stdout.readline() or "{}").get("loaded") is not True:
            raise RuntimeError("the player page did not load")
        sent = upload(server.url, source)
        handed = time.time()
        driver.stdin.write(f"{server.url}/stream/{sent.video_id}/manifest\n")
        driver.stdin.flush()
        seen = json.loads(driver.stdout.readline() or "{}")
        driver.wait(timeout=60)
        if not seen.get("ok"):
            raise RuntimeError(f"no frame: {seen}")
    except Exception:
        print(server.log())
        raise
    finally:
        if driver is not None and driver.poll() is None:
            driver.kill()
            driver.wait()
        server.kill()  # nothing to finish: the rest of the ladder would only cost time
        reap(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)

    def after(key: str) -> str:
        return f"{seen[key] / 1000 - sent.answered:.2f}" if seen.get(key) else "-"

    return Measured(
        seen["frame"] / 1000 - sent.answered,
        f"manifest 200 +{after('manifest')} s, first fragment +{after('fragment')} s, "
        f"timeupdate +{after('timeupdate')} s, first frame {seen.get('height')}p; "
        f"upload {sent.answered - sent.started:.2f} s; "
        f"URL to page {seen['received'] - handed * 1000:.0f} ms (clock check)",
    )


def with_workers(
    source: Path, run_dir: Path, settings: Settings, clips: Path, cores: list[str]
) -> Measured:
    """A ``vidhost serve`` without its worker, and one pinned ``vidhost worker`` per core."""
    env = {**bench_env(settings), "VIDHOST_EMBEDDED_WORKER": "false"}
    server = ServerProcess(run_dir, env).start()
    workers: list[WorkerProcess] = []
    try:
        # INFO: Celery logs "<node> ready." once it consumes.
        worker_env = {**env, "VIDHOST_LOG_LEVEL": "INFO"}
        workers = [WorkerProcess(run_dir, worker_env, f"w{c}", c) for c in cores]
        deadline = time.monotonic() + 120
        while not all(" ready." in w.log_path.read_text(errors="replace") for w in workers):
            if time.monotonic() > deadline or any(w.proc.poll() is not None for w in workers):
                raise RuntimeError("a worker did not start")
            time.sleep(0.2)
        warm_up(server.url, clips)
        before = [len(_task_seconds(w)) for w in workers]
        sent = upload(server.url, source)
        stored = wait_stored(server.url, sent.video_id)
    except Exception:
        print(server.log())
        for w in workers:
            print(w.log_path.read_text(errors="replace")[-3000:])
        raise
    finally:
        for w in workers:
            w.stop()
        server.stop()
        reap(run_dir)
    busy = [sum(_task_seconds(w)[skip:]) for w, skip in zip(workers, before, strict=True)]
    shutil.rmtree(run_dir, ignore_errors=True)
    return Measured(
        stored.stored - sent.answered,
        f"ready at +{stored.ready - sent.answered:.2f} s; busy per worker (s): "
        + " + ".join(f"{b:.1f}" for b in busy),
    )


def _task_seconds(worker: WorkerProcess) -> list[float]:
    """How long each task the worker finished took (Celery's INFO "succeeded in Xs")."""
    text = worker.log_path.read_text(errors="replace")
    return [float(m) for m in re.findall(r" succeeded in ([0-9.]+)s", text)]


def ttff(args: argparse.Namespace, settings: Settings, root: Path, page: str) -> list[bool]:
    short = clip(root, args.short, args.size)
    long = clip(root, args.long, args.size)
    runs, clips, seg = root / "runs", root / "clips", settings.segment_seconds
    n60, n300 = f"vidhost ttff {args.short} s", f"vidhost ttff {args.long} s"
    low = f"vidhost ttff {args.short} s, hls.js startLevel 0"
    bare, bare240 = f"bare ladder first {seg:g} s", f"bare lowest rung first {seg:g} s"
    results = run_rounds(
        f"time to first frame, {args.size}",
        args.rounds,
        [
            Contender(
                n60, lambda n: first_frame(page, short, runs / f"ttff-s{n}", settings, clips)
            ),
            Contender(
                bare, lambda n: Measured(bare_ladder(short, runs / f"b{n}", settings, seconds=seg))
            ),
            Contender(
                n300, lambda n: first_frame(page, long, runs / f"ttff-l{n}", settings, clips)
            ),
            Contender(
                bare240,
                lambda n: Measured(
                    bare_ladder(short, runs / f"b240-{n}", settings, seconds=seg, lowest_only=True)
                ),
            ),
            Contender(
                low,
                lambda n: first_frame(
                    page, short, runs / f"ttff-low{n}", settings, clips, start_level=0
                ),
            ),
        ],
    )
    # Informative, not a verdict: a player that starts at the lowest rung (hls.js picks its
    # first rung from its bandwidth estimate; on loopback it picks 720p).
    print_ratio(
        f"{low} / ({bare240} + 1 s) [stretch, player at the lowest rung; informative]",
        results.median(low),
        results.median(bare240) + 1,
        1.0,
        at_most=True,
    )
    v60, v300 = results.median(n60), results.median(n300)
    return [
        print_ratio(f"{n60} / {bare}", v60, results.median(bare), 1.0, at_most=True),
        print_ratio(
            f"{n60} / ({bare240} + 1 s) [stretch]",
            v60,
            results.median(bare240) + 1,
            1.0,
            at_most=True,
        ),
        print_ratio(f"{n300} / {n60}", v300, v60, 1.2, at_most=True),
    ]


def ladder(args: argparse.Namespace, settings: Settings, root: Path) -> list[bool]:
    source = clip(root, args.short, args.size)
    runs, clips = root / "runs", root / "clips"
    name, bare = f"vidhost ladder stored {args.short} s", "bare single-pass ladder"
    results = run_rounds(
        f"whole ladder stored, {args.short} s {args.size}",
        args.rounds,
        [
            Contender(
                name, lambda n: vidhost_ladder(source, runs / f"ladder-{n}", settings, clips)
            ),
            Contender(bare, lambda n: Measured(bare_ladder(source, runs / f"bl-{n}", settings))),
        ],
    )
    return [
        print_ratio(
            f"{name} / {bare}", results.median(name), results.median(bare), 1.15, at_most=True
        )
    ]


def workers(args: argparse.Namespace, settings: Settings, root: Path) -> list[bool]:
    source = clip(root, args.workers_seconds, args.size)
    runs, clips, cores = root / "runs", root / "clips", args.cores.split(",")
    two, one = f"{len(cores)} workers, cores {args.cores}", f"1 worker, core {cores[0]}"
    results = run_rounds(
        f"ladder stored after the upload, {args.workers_seconds} s {args.size}, pinned workers",
        args.rounds,
        [
            Contender(
                two, lambda n: with_workers(source, runs / f"w2-{n}", settings, clips, cores)
            ),
            Contender(
                one, lambda n: with_workers(source, runs / f"w1-{n}", settings, clips, cores[:1])
            ),
        ],
    )
    return [
        print_ratio(
            f"speed-up ({one}) / ({two})",
            results.median(one),
            results.median(two),
            1.7,
            at_most=False,
        )
    ]


def _ready_then(server: ServerProcess, source: Path) -> tuple[float, float, str]:
    """Upload ``source``; (upload start, ready, video id), polling every 50 ms."""
    sent = upload(server.url, source)
    deadline = time.monotonic() + FRAME_TIMEOUT
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}/api/videos/{sent.video_id}/status").json()
        if status["state"] == "ready":
            return sent.started, time.time(), sent.video_id
        if status["state"] == "failed":
            raise RuntimeError(f"failed: {status}")
        time.sleep(0.05)
    raise RuntimeError("never ready")


@contextmanager
def warm_server(run_dir: Path, settings: Settings, clips: Path) -> Iterator[ServerProcess]:
    """A fresh, warmed-up ``vidhost serve`` for one round: its log printed if the round
    fails, killed (nothing to finish) and its data dir removed afterwards."""
    server = ServerProcess(run_dir, bench_env(settings)).start()
    try:
        warm_up(server.url, clips)
        yield server
    except Exception:
        print(server.log())
        raise
    finally:
        server.kill()
        reap(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)


def ffmpeg_read(source: Path, run_dir: Path, settings: Settings, clips: Path) -> Measured:
    """From the upload's start until ffmpeg has read the top rung and the audio in full,
    ffmpeg started the moment the video reads ready."""
    with warm_server(run_dir, settings, clips) as server:
        started, ready, video_id = _ready_then(server, source)
        out = subprocess.run(
            [ffmpeg_path(), "-hide_banner", "-nostdin", "-i",
             f"{server.url}/stream/{video_id}/manifest", "-map", "0:v:0", "-map", "0:a:0",
             "-f", "null", "-"],
            capture_output=True, text=True, timeout=FRAME_TIMEOUT,
        )  # fmt: skip
        done = time.time()
        if out.returncode != 0:
            raise RuntimeError(f"ffmpeg failed: {out.stderr[-2000:]}")
        read = re.findall(r"time=(\d+):(\d+):([\d.]+)", out.stderr)[-1]
        seconds = int(read[0]) * 3600 + int(read[1]) * 60 + float(read[2])
    return Measured(
        done - started, f"ready at +{ready - started:.2f} s, {seconds:.2f} s of media read"
    )


def read(args: argparse.Namespace, settings: Settings, root: Path) -> list[bool]:
    source = clip(root, args.short, args.size)
    runs, clips = root / "runs", root / "clips"
    name, own = f"ffmpeg reads {args.short} s from ready", "vidhost ladder stored"
    results = run_rounds(
        f"ffmpeg's HLS client reads the whole video right after ready, {args.short} s {args.size}",
        args.rounds,
        [
            Contender(name, lambda n: ffmpeg_read(source, runs / f"read-{n}", settings, clips)),
            Contender(
                own, lambda n: vidhost_ladder(source, runs / f"read-own-{n}", settings, clips)
            ),
        ],
    )
    return [
        print_ratio(f"{name} / {own}", results.median(name), results.median(own), 1.1, at_most=True)
    ]


def hls_js_stalls(
    page: str, source: Path, run_dir: Path, settings: Settings, clips: Path
) -> Measured:
    """hls.js (default configuration) at 1x from ready: seconds spent stalled."""
    with warm_server(run_dir, settings, clips) as server:
        _, _, video_id = _ready_then(server, source)
        out = subprocess.run(
            ["node", str(PROGRESSIVE), page, f"{server.url}/stream/{video_id}/manifest"],
            capture_output=True, text=True, timeout=FRAME_TIMEOUT,
        )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if not result.get("ok") or not result.get("ended"):
            raise RuntimeError(f"hls.js did not play to the end: {result}")
    return Measured(
        float(result["stallSeconds"]),
        f"played {result['playSeconds']:.1f} s for {result['duration']:.1f} s of video",
    )


def stall(args: argparse.Namespace, settings: Settings, root: Path, page: str) -> list[bool]:
    source = clip(root, args.short, args.size)
    runs, clips = root / "runs", root / "clips"
    name = f"hls.js stalled, {args.short} s at 1x from ready"
    results = run_rounds(
        f"hls.js default configuration at 1x from ready, {args.short} s {args.size}",
        args.rounds,
        [Contender(name, lambda n: hls_js_stalls(page, source, runs / f"st-{n}", settings, clips))],
    )
    return [
        print_ratio(
            f"{name} / duration {args.short} s",
            results.median(name),
            float(args.short),
            0.1,
            at_most=True,
        )
    ]


def clip(root: Path, seconds: int, size: str) -> Path:
    return make_source(root / "clips" / f"source-{seconds}s-{size}.mp4", seconds=seconds, size=size)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default=",".join(FIGURES), help="comma-separated: " + ",".join(FIGURES)
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--short", type=int, default=60, help="seconds of the short clip")
    parser.add_argument("--long", type=int, default=300, help="seconds of the long clip")
    parser.add_argument("--workers-seconds", type=int, default=60)
    parser.add_argument("--cores", default="0,1", help="one pinned worker per core listed")
    parser.add_argument("--quick", action="store_true", help="tiny clips, 1 round (validation)")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    args = parser.parse_args()
    only = [f.strip() for f in args.only.split(",") if f.strip()]
    unknown = sorted(set(only) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; choose from {','.join(FIGURES)}")
    if args.quick:
        args.rounds, args.size, args.short, args.long, args.workers_seconds = (
            1,
            "640x360",
            8,
            16,
            16,
        )
    if "workers" in only:
        if shutil.which("taskset") is None:
            raise SystemExit("the workers figure needs taskset (util-linux)")
        missing = {int(c) for c in args.cores.split(",")} - os.sched_getaffinity(0)
        if missing:
            raise SystemExit(f"cores {sorted(missing)} are not available to this process")
    settings = Settings()  # the defaults vidhost serve uses
    root = bench_dir(args.tmp)
    print(f"vidhost {describe(settings)}; {os.cpu_count()} CPUs, load average {_load()}")
    verdicts: list[bool] = []
    with player_page() as page:
        if "ttff" in only:
            verdicts += ttff(args, settings, root, page)
        if "ladder" in only:
            verdicts += ladder(args, settings, root)
        if "workers" in only:
            verdicts += workers(args, settings, root)
        if "read" in only:
            verdicts += read(args, settings, root)
        if "stall" in only:
            verdicts += stall(args, settings, root, page)
    print(f"load average at the end {_load()}; {sum(verdicts)}/{len(verdicts)} goals met")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
