"""Upload-to-ready through vidhost vs the bare single-pass ffmpeg ladder, same clip, same run.

    python benchmarks/transcode.py [--seconds 30] [--size 1920x1080]

Goal (issue 2): vidhost / ffmpeg <= 1.15.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import ServerProcess, ffmpeg, make_source, wait_ready

from vidhost.media.hls import build_hls_command
from vidhost.media.ladder import select_ladder
from vidhost.media.probe import probe
from vidhost.settings import Settings

GOAL = 1.15


def bare_ffmpeg(source: Path, out_dir: Path, settings: Settings) -> float:
    """The equivalent work without vidhost: one ffmpeg process for the whole ladder."""
    info = probe(source)
    assert info.video is not None
    ladder = select_ladder(
        info.video.display_width, info.video.display_height, settings.ladder_heights
    )
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
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def through_vidhost(source: Path, data_dir: Path, settings: Settings) -> float:
    env = {
        "VIDHOST_AUTH": "none",
        "VIDHOST_LADDER_HEIGHTS": str(settings.ladder_heights),
        "VIDHOST_X264_PRESET": settings.x264_preset,
        "VIDHOST_SEGMENT_SECONDS": str(settings.segment_seconds),
        "VIDHOST_LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(data_dir, env).start()
    try:
        # Steady state: a warm-up clip makes sure the embedded worker is up and consuming
        # (a freshly started worker takes a second or two to boot; a running server doesn't).
        warm = make_source(data_dir.parent / "warmup.mp4", seconds=1, size="320x240")
        with open(warm, "rb") as fh:
            r = httpx.post(server.url + "/upload", files={"file": ("w.mp4", fh, "video/mp4")})
        r.raise_for_status()
        wait_ready(server.url, r.json()["videoId"])
        start = time.perf_counter()
        with open(source, "rb") as fh:
            r = httpx.post(
                server.url + "/upload", files={"file": (source.name, fh, "video/mp4")}, timeout=600
            )
        r.raise_for_status()
        status = wait_ready(server.url, r.json()["videoId"])
        elapsed = time.perf_counter() - start
        assert status["state"] == "ready", status
        return elapsed
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    settings = Settings()  # the defaults vidhost serve uses
    with tempfile.TemporaryDirectory(prefix="vidhost-bench-") as tmp:
        work = Path(tmp)
        source = make_source(work / "source.mp4", seconds=args.seconds, size=args.size)
        (work / "bare").mkdir()
        baseline = bare_ffmpeg(source, work / "bare", settings)
        project = through_vidhost(source, work / "data", settings)
    ratio = project / baseline
    print(
        f"clip: {args.seconds} s {args.size}, ladder {settings.ladder_heights}, "
        f"preset {settings.x264_preset}, {settings.segment_seconds:g} s segments"
    )
    print(f"bare ffmpeg ladder (baseline): {baseline:8.2f} s")
    print(f"vidhost upload-to-ready:       {project:8.2f} s")
    print(
        f"ratio vidhost/ffmpeg:          {ratio:8.3f}  (goal <= {GOAL})  "
        f"{'PASS' if ratio <= GOAL else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
