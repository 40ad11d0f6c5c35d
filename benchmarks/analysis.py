"""Metadata extraction vs a plain full decode of the same clip, measured in the same run.

    python benchmarks/analysis.py [--duration 60] [--height 1080] [--fps 25] [--gop 25]

Generates a synthetic H.264 clip (``testsrc2``, 1 s GOP by default: a keyframe every second,
the dense case for keyframe sampling), then times
- baseline: PyAV decoding every frame of the video stream (``thread_type="AUTO"``), nothing else;
- vidhost: what the metadata_extraction task does: probe + sampled colour profile + the JSON.
Goal: vidhost <= 0.5 x baseline. Best of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import av

from vidhost.media.analysis import analyse_colors, metadata_document
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.probe import probe


def make_clip(path: Path, *, duration: int, height: int, fps: int, gop: int) -> None:
    width = height * 16 // 9
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={duration}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={duration}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip


def full_decode(path: Path) -> int:
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return frames


def extract(path: Path) -> dict[str, object]:
    info = probe(path)
    assert info.video is not None
    colors = analyse_colors(
        path, duration=info.duration, frame_count=info.video.frame_count, fps=info.video.fps
    )
    doc = metadata_document(file_id="bench", filename=path.name, info=info, colors=colors)
    json.dumps(doc)
    return doc


def best(fn, path: Path, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(path)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=25, help="frames between keyframes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "bench.mp4"
        t0 = time.perf_counter()
        make_clip(clip, duration=args.duration, height=args.height, fps=args.fps, gop=args.gop)
        print(
            f"clip: {args.duration} s {args.height}p {args.fps} fps, GOP {args.gop} "
            f"({clip.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - t0:.1f} s)"
        )
        base, frames = best(full_decode, clip, args.repeat)
        ours, doc = best(extract, clip, args.repeat)
        assert isinstance(doc, dict)
        sampling = doc["advanced"]["sampling"]
        print(f"baseline full decode (PyAV, all {frames} frames): {base:.3f} s")
        print(
            f"vidhost metadata extraction ({sampling['mode']}, "
            f"{sampling['frames_analysed']} frames analysed): {ours:.3f} s"
        )
        ratio = ours / base
        print(f"ratio: {ratio:.3f} (goal <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
