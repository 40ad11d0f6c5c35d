"""Quality per byte: vidhost's ladder (``--tier``, default ``plus``: content-aware capped
CRF, ADR 0046) vs a bare ffmpeg fixed ladder with vidhost's former settings, on a varied
lavfi corpus built here, each item measured in the same run (vidhost, then the baseline;
with ``--vs-tier basic`` vidhost at that tier too, right after: the ratios between tiers).

    python benchmarks/quality.py [--seconds 10] [--size 1920x1080] [--quick] [--items a,b]
        [--tier plus] [--vs-tier basic]
    python benchmarks/quality.py --tier-cost grain [--seconds 6]   # CPU s per tier

The corpus (mezzanines at libx264 CRF 12): a Mandelbrot zoom, testsrc2 with temporal film
grain (``noise``), SMPTE HD bars (a static slide), Conway's life scaled up, a zoompan over a
still image, and low-resolution content scaled up. Per item: bytes per rung, the top and
bottom rung's VMAF (each rung upscaled to the source size with bicubic, libvmaf v0.6.1
against the source, every ``--subsample`` th frame), and the time from ``POST /upload`` to
the whole ladder stored (vidhost) or to ffmpeg's exit (baseline: one process, libx264
``veryfast``, ABR at the fixed rates, maxrate 1.07x, bufsize 1.5x, fMP4 segments as
vidhost's).
Goals (issue 23): ladder bytes <= 0.8x (geometric mean); no top rung loses more than 1
VMAF; items the fixed ladder under-serves (top VMAF < 90) gain >= 3 where the cap allows;
time <= 1.5x (geometric mean).
"""

from __future__ import annotations

import argparse
import math
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _common import (
    ServerProcess,
    bench_dir,
    bench_env,
    describe,
    ffmpeg,
    reap,
    upload,
    wait_stored,
    warm_up,
)
from _rounds import verdict

from vidhost.app.settings import Settings
from vidhost.media.hls import build_hls_command
from vidhost.media.ladder import select_ladder

BYTES_GOAL = 0.8
TIME_GOAL = 1.5
TOP_LOSS = 1.0
UNDER_SERVED = 90.0
GAIN = 3.0


def corpus(width: int, height: int) -> dict[str, str]:
    """Item name -> lavfi filter graph (the zoompan item's ``{still}`` is an image path)."""
    s = f"{width}x{height}"
    return {
        "mandelbrot": f"mandelbrot=s={s}:r=30",
        "grain": f"testsrc2=s={s}:r=30,noise=alls=16:allf=t+u",
        "slide": f"smptehdbars=s={s}:r=30",
        "life": f"life=s={max(2, width // 8)}x{max(2, height // 8)}:r=30:mold=10:ratio=0.2"
        f":death_color=#202020:life_color=#e0c060,scale={width}:{height}:flags=neighbor",
        "zoompan": f"movie={{still}},loop=-1:1,zoompan=z='min(zoom+0.002,1.6)':d=1:s={s}:fps=30",
        "upscaled": f"testsrc2=s={max(2, width // 4)}x{max(2, height // 4)}:r=30,"
        f"scale={width}:{height}:flags=bicubic",
    }


def make_item(root: Path, name: str, graph: str, seconds: float, size: str) -> Path:
    out = root / f"{name}-{seconds:g}s-{size}.mp4"
    if out.exists():
        return out
    still = root / f"still-{size}.png"
    if "{still}" in graph and not still.exists():
        subprocess.run(
            [ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=s={size},drawgrid=w=40:h=40:c=white@0.4", "-frames:v", "1", str(still)],
            check=True,
        )  # fmt: skip
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", graph.format(still=still),
         "-f", "lavfi", "-i", "sine=f=440", "-t", f"{seconds:g}", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-c:a", "aac", "-b:a", "128k",
         str(out)],
        check=True,
    )  # fmt: skip
    return out


@dataclass
class Ladder:
    seconds: float
    rungs: dict[str, int] = field(default_factory=dict)
    """Rung name -> video bytes (init + media segments)."""
    files: dict[str, Path] = field(default_factory=dict)
    """Rung name -> the rung as one playable file."""
    note: str = ""

    @property
    def total(self) -> int:
        return sum(self.rungs.values())


def vidhost_ladder(
    source: Path, run_dir: Path, settings: Settings, cache: Path, tier: str
) -> Ladder:
    """Upload to a fresh vidhost serve (``video_quality=tier``), wait for the whole ladder,
    download every rung."""
    server = ServerProcess(run_dir / "server", bench_env(settings)).start()
    try:
        warm_up(server.url, cache)
        sent = upload(server.url, source, {"video_quality": tier})
        stored = wait_stored(server.url, sent.video_id)
        ladder = Ladder(
            stored.stored - sent.started, note=f"ready {stored.ready - sent.started:.1f} s"
        )
        base = f"{server.url}/stream/{sent.video_id}/"
        with httpx.Client(timeout=120) as client:
            master = client.get(base + "manifest").text
            for uri in [u for u in master.splitlines() if u and not u.startswith("#")]:
                name = uri.removesuffix(".m3u8")
                text = client.get(base + uri).text
                parts = re.findall(r'URI="([^"]+)"', text) + [
                    line for line in text.splitlines() if line and not line.startswith("#")
                ]
                out = run_dir / f"vidhost-{name}.mp4"
                with out.open("wb") as fh:
                    for part in parts:
                        fh.write(client.get(base + part).content)
                ladder.rungs[name] = out.stat().st_size
                ladder.files[name] = out
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()
        reap(run_dir / "server")
    return ladder


def bare_ladder(source: Path, run_dir: Path, settings: Settings, width: int, height: int) -> Ladder:
    """One ffmpeg process: the fixed ladder (vidhost's former settings), video only, fMP4."""
    rungs = select_ladder(width, height, settings.ladder_heights)
    out = run_dir / "bare"
    out.mkdir(parents=True, exist_ok=True)
    cmd = build_hls_command(
        ffmpeg(), str(source), str(out), rungs, has_audio=False, fps=30.0,
        segment_seconds=settings.segment_seconds, preset=settings.x264_preset,
    )  # fmt: skip
    cmd[cmd.index("-hls_segment_type") + 1] = "fmp4"
    cmd[cmd.index("-hls_segment_filename") + 1] = str(out / "%v_%05d.m4s")
    at = cmd.index("-hls_segment_filename")
    cmd[at:at] = ["-hls_fmp4_init_filename", "init_%v.mp4"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ladder = Ladder(time.perf_counter() - start)
    for rung in rungs:
        playlist = (out / f"{rung.name}.m3u8").read_text()
        init = re.findall(r'URI="([^"]+)"', playlist)
        media = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        joined = run_dir / f"bare-{rung.name}.mp4"
        with joined.open("wb") as fh:
            for part in init + media:
                fh.write((out / part).read_bytes())
        ladder.rungs[rung.name] = joined.stat().st_size
        ladder.files[rung.name] = joined
    return ladder


def vmaf(distorted: Path, source: Path, width: int, height: int, subsample: int) -> float:
    """VMAF of ``distorted`` upscaled (bicubic) to the source size, against the source."""
    graph = (
        f"[0:v]scale={width}:{height}:flags=bicubic,format=yuv420p[d];"
        f"[1:v]format=yuv420p[r];[d][r]libvmaf=n_subsample={subsample}:n_threads=2"
    )
    run = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostats", "-i", str(distorted), "-i", str(source),
         "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"VMAF score: ([0-9.]+)", run.stderr)
    assert found, run.stderr[-2000:]
    return float(found.group(1))


def tier_cost(source: Path, work: Path, seconds: float, tiers: list[str]) -> None:
    """CPU seconds (ffmpeg children: user + system) of each tier's whole ladder, in process
    (a real container, the server's defaults, no worker), per minute of the source."""
    from tests.integration.helpers import container, run_transcode
    from tests.integration.helpers import upload as upload_local

    print(f"== CPU cost per tier ({source.name}), CPU seconds per minute of source")
    for tier in tiers:
        shutil.rmtree(work / tier, ignore_errors=True)
        defaults = Settings()
        with container(
            work / tier,
            ladder_heights=defaults.ladder_heights,
            x264_preset=defaults.x264_preset,
            segment_seconds=defaults.segment_seconds,
            probe_timeout=600.0,  # a loaded machine
        ) as c:
            video_id = upload_local(c, source, video_quality=tier)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            run_transcode(c, video_id)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(
            f"  {tier:<8} {cpu:7.1f} CPU s for {seconds:g} s = {cpu * 60 / seconds:7.0f} "
            f"CPU s per minute (wall {wall:.1f} s)",
            flush=True,
        )
        shutil.rmtree(work / tier, ignore_errors=True)


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--subsample", type=int, default=5, help="libvmaf n_subsample")
    parser.add_argument("--items", help="comma-separated subset of the corpus")
    parser.add_argument("--quick", action="store_true", help="3 s 640x360, 3 items")
    parser.add_argument("--tmp", help="cache and work dir (default: $TMPDIR/vidhost-bench)")
    parser.add_argument(
        "--tier-cost", metavar="ITEM", help="only: each tier's CPU seconds on this item"
    )
    parser.add_argument("--tiers", default="basic,plus,premium", help="with --tier-cost")
    parser.add_argument("--tier", default="plus", help="vidhost's tier (video_quality)")
    parser.add_argument(
        "--vs-tier", help="also vidhost at this tier (e.g. basic): time and bytes ratios to it"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.size = 3, "640x360"
        args.items = args.items or "mandelbrot,grain,slide"
    width, height = (int(v) for v in args.size.split("x"))
    settings = Settings()  # the defaults vidhost serve uses; the tier is --tier's
    root = bench_dir(args.tmp)
    items = corpus(width, height)
    if args.tier_cost:
        item = args.tier_cost
        source = make_item(root / "clips", item, items[item], args.seconds, args.size)
        tier_cost(source, root / "runs" / "tiers", args.seconds, args.tiers.split(","))
        return
    names = args.items.split(",") if args.items else list(items)
    print(
        f"corpus: {', '.join(names)}; {args.seconds:g} s {args.size}; tier {args.tier}; "
        f"{describe(settings)}"
    )
    rows = []
    versus: list[tuple[float, float]] = []
    for name in names:
        source = make_item(root / "clips", name, items[name], args.seconds, args.size)
        run = root / "runs" / f"quality-{name}"
        shutil.rmtree(run, ignore_errors=True)
        run.mkdir(parents=True)
        ours = vidhost_ladder(source, run, settings, root / "clips", args.tier)
        bare = bare_ladder(source, run, settings, width, height)
        if args.vs_tier:  # the same server at another tier, right after: the probe's cost
            (run / "vs").mkdir()
            other = vidhost_ladder(source, run / "vs", settings, root / "clips", args.vs_tier)
            versus.append((ours.seconds / other.seconds, ours.total / other.total))
            vs_note = f"  ({args.vs_tier}: {other.seconds:.1f} s, {other.total / 1000:.0f} kB)"
        top, bottom = next(iter(bare.rungs)), list(bare.rungs)[-1]
        scores = {
            (who, rung): vmaf(ladder.files[rung], source, width, height, args.subsample)
            for who, ladder in (("vidhost", ours), ("bare", bare))
            for rung in (top, bottom)
        }
        rows.append((name, ours, bare, scores, top, bottom))
        print(f"== {name}")
        if args.vs_tier:
            print(vs_note)
        for who, ladder in (("vidhost", ours), ("bare", bare)):
            sizes = " ".join(f"{r}={b / 1000:.0f}kB" for r, b in ladder.rungs.items())
            print(
                f"  {who:<7} {ladder.seconds:7.1f} s  {ladder.total / 1000:8.0f} kB  "
                f"top VMAF {scores[(who, top)]:5.1f}  bottom {scores[(who, bottom)]:5.1f}  "
                f"[{sizes}] {ladder.note}",
                flush=True,
            )
        shutil.rmtree(run, ignore_errors=True)

    print("== summary (vidhost / bare)")
    bytes_ratio = geomean([o.total / b.total for _, o, b, _, _, _ in rows])
    time_ratio = geomean([o.seconds / b.seconds for _, o, b, _, _, _ in rows])
    losses = [(n, s[("vidhost", t)] - s[("bare", t)]) for n, _, _, s, t, _ in rows]
    under = [(n, s[("vidhost", t)] - s[("bare", t)]) for n, _, _, s, t, _ in rows
             if s[("bare", t)] < UNDER_SERVED]  # fmt: skip
    print(f"  bytes (geomean): {bytes_ratio:.3f}  (goal <= {BYTES_GOAL})  "
          f"{verdict(bytes_ratio <= BYTES_GOAL)}")  # fmt: skip
    worst = min(losses, key=lambda x: x[1])
    changes = ", ".join(f"{n} {d:+.1f}" for n, d in losses)
    ok = verdict(worst[1] >= -TOP_LOSS)
    print(f"  top-rung VMAF change: {changes}; worst {worst[0]} {worst[1]:+.1f} "
          f"(goal >= -{TOP_LOSS})  {ok}")  # fmt: skip
    if under:
        print(f"  under-served (bare top < {UNDER_SERVED}): "
              f"{', '.join(f'{n} {d:+.1f}' for n, d in under)} (goal >= +{GAIN}) "
              f"{verdict(all(d >= GAIN for _, d in under))}")  # fmt: skip
    print(f"  time to the whole ladder (geomean): {time_ratio:.3f}  (goal <= {TIME_GOAL})  "
          f"{verdict(time_ratio <= TIME_GOAL)}")  # fmt: skip
    if versus:
        t_ratio, b_ratio = geomean([t for t, _ in versus]), geomean([b for _, b in versus])
        print(f"  {args.tier} / {args.vs_tier} (geomean): time {t_ratio:.3f}, bytes {b_ratio:.3f}")


if __name__ == "__main__":
    main()
