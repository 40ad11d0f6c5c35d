"""Server peak RSS growth while a 1 GiB file is uploaded with POST /upload.

    python benchmarks/upload_memory.py [--gib 1]

Baseline in the same run: the growth for a 16 MiB upload. Memory must not scale with the
file: goal (issue 2) < 64 MiB growth for 1 GiB.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _common import ServerProcess, ffmpeg

GOAL_MIB = 64
MIB = 1024 * 1024


def make_raw_video(path: Path, size_bytes: int) -> Path:
    """Uncompressed 720p video in NUT: a real video of (about) the requested size, fast."""
    frame = 1280 * 720 * 3 // 2
    frames = max(1, size_bytes // frame)
    subprocess.run(
        [
            ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25",
            "-frames:v", str(frames), "-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def upload(url: str, path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["curl", "-sS", "-f", "-o", "/dev/null", "-F", f"file=@{path};type=video/x-nut", url],
        check=True,
    )
    return time.perf_counter() - start


def growth(server: ServerProcess, path: Path) -> tuple[int, float]:
    assert server.proc is not None
    rss = psutil.Process(server.proc.pid)
    before = rss.memory_info().rss
    with PeakRss(server.proc.pid) as peak:
        seconds = upload(server.url + "/upload", path)
    return peak.peak - before, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidhost-bench-") as tmp:
        work = Path(tmp)
        small = make_raw_video(work / "small.nut", 16 * MIB)
        big = make_raw_video(work / "big.nut", int(args.gib * 1024 * MIB))
        env = {
            "VIDHOST_AUTH": "none",
            "VIDHOST_EMBEDDED_WORKER": "false",  # measure the API process, not transcoding
            "VIDHOST_MAX_UPLOAD_BYTES": str(4 * 1024 * MIB),
            "VIDHOST_LOG_LEVEL": "WARNING",
        }
        server = ServerProcess(work / "data", env).start()
        try:
            growth(server, small)  # warm-up: first probe loads codecs, first DB writes
            base_growth, _ = growth(server, small)
            big_growth, seconds = growth(server, big)
        finally:
            server.stop()
    size = big.stat().st_size if big.exists() else int(args.gib * 1024 * MIB)
    print(f"baseline: RSS growth for a 16 MiB upload: {base_growth / MIB:7.1f} MiB")
    print(
        f"vidhost:  RSS growth for a {size / MIB:.0f} MiB upload: {big_growth / MIB:7.1f} MiB "
        f"({size / MIB / seconds:.0f} MiB/s)"
    )
    print(
        f"growth difference (1 GiB - 16 MiB): {(big_growth - base_growth) / MIB:.1f} MiB; "
        f"goal < {GOAL_MIB} MiB  {'PASS' if big_growth < GOAL_MIB * MIB else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
