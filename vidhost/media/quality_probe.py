"""The content-aware ladder's measurement (ADR 0046): a short sample of the source, at a
reduced size, encoded at a few CRFs and each encode's VMAF against the sample.

Two ffmpeg runs: one decode of the sample into a lossless reference (FFV1) and one libx264
encode per CRF; then one run of libvmaf per encode, subsampled (``n_subsample``). At 360p a
2-second sample costs a fraction of a second of CPU per CRF; the decision from the figures
is ``vidhost.core.quality.crf_for_target``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from vidhost.core.quality import Probe
from vidhost.media.errors import MediaError
from vidhost.media.hls import _num
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import ProcessLimits

PROBE_SHORT_SIDE = 360
"""The probe's size: the source scaled to this short side (never up)."""
SAMPLE_SECONDS = 2.0
VMAF_SUBSAMPLE = 2
"""libvmaf scores every this many frames."""
VMAF_MODEL = "version=vmaf_v0.6.1"


def probe_size(width: int, height: int, short_side: int = PROBE_SHORT_SIDE) -> tuple[int, int]:
    """The probe's even dimensions for a ``width`` x ``height`` source, aspect kept."""
    short = min(width, height)
    if short <= short_side:
        return max(2, width - width % 2), max(2, height - height % 2)
    scale = short_side / short
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def build_probe_encode_command(
    ffmpeg: str,
    input_args: Sequence[str],
    out_dir: Path,
    *,
    start: float,
    seconds: float,
    width: int,
    height: int,
    crfs: Sequence[float],
    preset: str,
) -> list[str]:
    """Decode ``seconds`` from ``start`` of the source once (``input_args`` ends with
    ``-i <source>``), scaled to ``width`` x ``height``: ``ref.nut`` (lossless) and
    ``crf-<i>.mp4`` per CRF."""
    count = len(crfs) + 1
    chain = f"[0:v:0]scale={width}:{height},setsar=1,format=yuv420p,split={count}" + "".join(
        f"[p{i}]" for i in range(count)
    )
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-ss", _num(max(0.0, start))]
    args += ["-t", _num(seconds), *input_args, "-filter_complex", chain]
    args += ["-progress", "pipe:1", "-nostats"]
    args += ["-map", "[p0]", "-an", "-sn", "-c:v", "ffv1", str(out_dir / "ref.nut")]
    for i, crf in enumerate(crfs, start=1):
        args += ["-map", f"[p{i}]", "-an", "-sn", "-c:v", "libx264", "-preset", preset]
        args += ["-crf", _num(crf), "-threads", "1", str(out_dir / f"crf-{i}.mp4")]
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
            f":log_fmt=json:log_path={_filter_path(log)}:n_threads=1[o{i}]"
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
    start: float,
    seconds: float,
    width: int,
    height: int,
    crfs: Sequence[float],
    preset: str,
    limits: ProcessLimits | None = None,
    on_tick: Callable[[], None] | None = None,
) -> list[Probe]:
    """Encode the sample at each of ``crfs`` and score it: one ``Probe`` per CRF (its VMAF
    mean and bits/s). ``MediaError`` when ffmpeg fails or libvmaf writes no score.
    ``on_tick``: called about every 0.1 s while ffmpeg runs; what it raises stops the probe."""
    out_dir.mkdir(parents=True, exist_ok=True)
    encode = build_probe_encode_command(
        ffmpeg,
        input_args,
        out_dir,
        start=start,
        seconds=seconds,
        width=width,
        height=height,
        crfs=crfs,
        preset=preset,
    )
    run_ffmpeg(encode, duration=seconds, limits=limits, on_tick=on_tick)
    encodes = [out_dir / f"crf-{i}.mp4" for i in range(1, len(crfs) + 1)]
    logs = [out_dir / f"vmaf-{i}.json" for i in range(1, len(crfs) + 1)]
    run_ffmpeg(
        build_vmaf_command(ffmpeg, encodes, out_dir / "ref.nut", logs),
        duration=seconds,
        limits=limits,
        on_tick=on_tick,
    )
    probes = []
    for crf, path, log in zip(crfs, encodes, logs, strict=True):
        probes.append(
            Probe(crf=crf, vmaf=vmaf_mean(log), bitrate=path.stat().st_size * 8 / seconds)
        )
    return probes


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
