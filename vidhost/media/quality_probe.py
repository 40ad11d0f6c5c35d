"""The content-aware ladder's measurement (ADR 0046): short samples of the title, at the top
rung's own size, encoded at a few CRFs (and at the fixed ladder's rate), and each encode's
VMAF against the samples.

Two ffmpeg runs: one decode of the samples (joined) into a lossless reference (FFV1) and one
libx264 encode per CRF (and one ABR encode at the fixed rate); then one run of libvmaf per
encode, subsampled (``n_subsample``). Once per title, a few seconds of samples in all; the
decision from the figures is ``vidhost.core.quality.decide_title``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from vidhost.core.quality import Probe, RungEncoding
from vidhost.media.errors import MediaError
from vidhost.media.hls import _num
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import ProcessLimits

SAMPLE_SECONDS = 2.0
"""Each sample's length: shorter ones are mostly their opening keyframe and over-rate the
CRF encodes of slow, smooth motion (a zoom over a still: 1 s samples cost it 1.6 VMAF)."""
SAMPLE_EVERY = 20.0
"""One sample per this many seconds of the title ..."""
MAX_SAMPLES = 3
"""... at most this many (at least one), spread evenly over it."""
VMAF_SUBSAMPLE = 3
"""libvmaf scores every this many frames."""
VMAF_MODEL = "version=vmaf_v0.6.1"


def title_samples(
    duration: float, seconds: float = SAMPLE_SECONDS, every: float = SAMPLE_EVERY
) -> list[tuple[float, float]]:
    """``(start, length)`` of each sample of a ``duration``-second title: one per ``every``
    seconds (1 to ``MAX_SAMPLES``), each centred in its share of the title."""
    count = min(MAX_SAMPLES, max(1, round(duration / every)))
    length = max(0.0, min(seconds, duration / count))
    share = duration / count
    return [(max(0.0, share * (i + 0.5) - length / 2), length) for i in range(count)]


def build_probe_encode_command(
    ffmpeg: str,
    input_args: Sequence[str],
    out_dir: Path,
    *,
    samples: Sequence[tuple[float, float]],
    width: int,
    height: int,
    crfs: Sequence[float],
    preset: str,
    fixed: RungEncoding | None = None,
    cap: RungEncoding | None = None,
) -> list[str]:
    """Decode each sample ``(start, seconds)`` of the source once (``input_args`` ends with
    ``-i <source>``), joined and scaled to ``width`` x ``height``: ``ref.nut`` (lossless),
    ``crf-<i>.mp4`` per CRF (under ``cap``'s maxrate and buffer, as the rung is encoded) and,
    with ``fixed``, ``fixed.mp4`` (ABR at its rate, maxrate and buffer: the fixed ladder's
    encode of the same frames)."""
    count = len(crfs) + 1 + (fixed is not None)
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    for start, seconds in samples:
        args += ["-ss", _num(max(0.0, start)), "-t", _num(seconds), *input_args]
    joined = "".join(f"[{i}:v:0]" for i in range(len(samples)))
    chain = (
        f"{joined}concat=n={len(samples)}:v=1:a=0,scale={width}:{height},setsar=1,"
        f"format=yuv420p,split={count}" + "".join(f"[p{i}]" for i in range(count))
    )
    args += ["-filter_complex", chain, "-progress", "pipe:1", "-nostats"]
    args += ["-map", "[p0]", "-an", "-sn", "-c:v", "ffv1", str(out_dir / "ref.nut")]
    x264 = ["-an", "-sn", "-c:v", "libx264", "-preset", preset, "-threads", "1"]
    capped = ["-maxrate", str(cap.max_bitrate), "-bufsize", str(cap.buffer_size)] if cap else []
    for i, crf in enumerate(crfs, start=1):
        args += ["-map", f"[p{i}]", *x264, "-crf", _num(crf), *capped]
        args += [str(out_dir / f"crf-{i}.mp4")]
    if fixed is not None:
        args += ["-map", f"[p{count - 1}]", *x264, "-b:v", str(fixed.bitrate)]
        args += ["-maxrate", str(fixed.max_bitrate), "-bufsize", str(fixed.buffer_size)]
        args += [str(out_dir / "fixed.mp4")]
    return args


def build_vmaf_command(
    ffmpeg: str, distorted: Sequence[Path], reference: Path, logs: Sequence[Path]
) -> list[str]:
    """One libvmaf run per file of ``distorted`` against ``reference`` (same size), each
    writing its JSON log to the matching ``logs`` path."""
    count = len(distorted)
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    for path in distorted:
        args += ["-i", str(path)]
    args += ["-i", str(reference)]
    chains = [f"[{count}:v]split={count}" + "".join(f"[r{i}]" for i in range(count))]
    for i, log in enumerate(logs):
        chains.append(
            f"[{i}:v][r{i}]libvmaf=model={VMAF_MODEL}:n_subsample={VMAF_SUBSAMPLE}"
            f":log_fmt=json:log_path={_filter_path(log)}:n_threads=2[o{i}]"
        )
    args += ["-filter_complex", ";".join(chains), "-progress", "pipe:1", "-nostats"]
    for i in range(count):
        args += ["-map", f"[o{i}]", "-f", "null", "-"]
    return args


def measure_probes(
    ffmpeg: str,
    input_args: Sequence[str],
    out_dir: Path,
    *,
    samples: Sequence[tuple[float, float]],
    width: int,
    height: int,
    crfs: Sequence[float],
    preset: str,
    fixed: RungEncoding | None = None,
    cap: RungEncoding | None = None,
    limits: ProcessLimits | None = None,
    on_tick: Callable[[], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> tuple[list[Probe], Probe | None]:
    """Encode the samples at each of ``crfs`` (and at ``fixed``'s rate) and score them: one
    ``Probe`` per CRF (its VMAF mean and bits/s), and the fixed encode's (its ``crf`` 0).
    ``MediaError`` when ffmpeg fails or libvmaf writes no score. ``on_tick``: called about
    every 0.1 s while ffmpeg runs; what it raises stops the probe. ``on_start``: each ffmpeg's
    process id (to renice it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds = sum(length for _, length in samples)
    encode = build_probe_encode_command(
        ffmpeg,
        input_args,
        out_dir,
        samples=samples,
        width=width,
        height=height,
        crfs=crfs,
        preset=preset,
        fixed=fixed,
        cap=cap,
    )
    run_ffmpeg(encode, duration=seconds, limits=limits, on_tick=on_tick, on_start=on_start)
    encodes = [out_dir / f"crf-{i}.mp4" for i in range(1, len(crfs) + 1)]
    if fixed is not None:
        encodes.append(out_dir / "fixed.mp4")
    logs = [out_dir / f"vmaf-{i}.json" for i in range(1, len(encodes) + 1)]
    run_ffmpeg(
        build_vmaf_command(ffmpeg, encodes, out_dir / "ref.nut", logs),
        duration=seconds,
        limits=limits,
        on_tick=on_tick,
        on_start=on_start,
    )
    scored = [
        Probe(crf=crf, vmaf=vmaf_mean(log), bitrate=path.stat().st_size * 8 / seconds)
        for crf, path, log in zip([*crfs, 0.0], encodes, logs, strict=False)
    ]
    if fixed is not None:
        return scored[:-1], scored[-1]
    return scored, None


def vmaf_mean(log: Path) -> float:
    """The pooled VMAF mean of a libvmaf JSON log."""
    try:
        data = json.loads(log.read_text())
        return float(data["pooled_metrics"]["vmaf"]["mean"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MediaError("vmaf_failed", f"libvmaf gave no score: {exc}") from None


def _filter_path(path: Path) -> str:
    """A path inside a filter option: ``:``, ``\\`` and ``'`` escaped."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
