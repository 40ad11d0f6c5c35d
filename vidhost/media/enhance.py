"""Video enhancement: named presets with parameters -> ffmpeg filter chains and commands.

A spec is ``preset`` or ``preset:key=value,key=value`` (e.g. ``default:sharpen=1.2``); the
keys are the fields of :class:`EnhanceOptions`. Pure functions only: running is the
pipeline's business.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Final, Literal

from vidhost.core.errors import CodedError
from vidhost.media.formats import input_args

DENOISERS: Final = ("hqdn3d", "nlmeans")
DEINTERLACE_MODES: Final = ("auto", "always", "never")
CONTAINERS: Final = {"mp4": "mp4", "mov": "mov", "mkv": "matroska"}


class EnhanceSpecError(CodedError, ValueError):
    """A bad enhancement spec; ``code`` is ``unknown_preset`` or ``invalid_enhance_option``."""

    code = "invalid_enhance_option"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class EnhanceOptions:
    denoise: str | None = None
    """``hqdn3d`` (fast), ``nlmeans`` (slow, stronger) or None."""
    denoise_strength: float = 4.0
    """hqdn3d luma_spatial (the other three strengths scale with it); nlmeans ``s`` is half."""
    sharpen: float = 0.0
    """unsharp luma amount on a 5x5 matrix; 0 is off."""
    levels: bool = False
    """Automatic levels/contrast: ``normalize`` stretches black and white points per frame."""
    levels_strength: float = 0.6
    deinterlace: Literal["auto", "always", "never"] = "auto"
    """bwdif; ``auto`` applies it only when the source is interlaced."""
    stabilize: bool = False
    """vidstab in two passes (vidstabdetect, then vidstabtransform)."""
    smoothing: int = 10
    """vidstabtransform smoothing (frames each side)."""
    loudnorm: bool = False
    """EBU R128 loudness normalisation, two-pass (measure, then linear loudnorm)."""
    loudness: float = -23.0
    """Integrated loudness target in LUFS (EBU R128: -23)."""
    true_peak: float = -1.0
    lra: float = 11.0

    def validate(self) -> EnhanceOptions:
        checks: list[tuple[bool, str]] = [
            (
                self.denoise is None or self.denoise in DENOISERS,
                f"denoise must be one of {DENOISERS}",
            ),
            (0.0 < self.denoise_strength <= 30.0, "denoise_strength must be in (0, 30]"),
            (0.0 <= self.sharpen <= 3.0, "sharpen must be in [0, 3]"),
            (0.0 < self.levels_strength <= 1.0, "levels_strength must be in (0, 1]"),
            (
                self.deinterlace in DEINTERLACE_MODES,
                f"deinterlace must be one of {DEINTERLACE_MODES}",
            ),
            (1 <= self.smoothing <= 100, "smoothing must be in [1, 100]"),
            (-70.0 <= self.loudness <= -5.0, "loudness must be in [-70, -5] LUFS"),
            (-9.0 <= self.true_peak <= 0.0, "true_peak must be in [-9, 0] dBTP"),
            (1.0 <= self.lra <= 50.0, "lra must be in [1, 50] LU"),
        ]
        for ok, message in checks:
            if not ok:
                raise EnhanceSpecError("invalid_enhance_option", message)
        return self


PRESETS: Final[dict[str, EnhanceOptions]] = {
    "default": EnhanceOptions(denoise="hqdn3d", sharpen=0.5, levels=True, loudnorm=True),
    "light": EnhanceOptions(sharpen=0.3, loudnorm=True),
    "denoise": EnhanceOptions(denoise="nlmeans", denoise_strength=6.0),
    "sharpen": EnhanceOptions(sharpen=1.0),
    "levels": EnhanceOptions(levels=True, levels_strength=1.0),
    "deinterlace": EnhanceOptions(deinterlace="always"),
    "stabilize": EnhanceOptions(stabilize=True, sharpen=0.3),
    "loudnorm": EnhanceOptions(loudnorm=True),
    "full": EnhanceOptions(
        denoise="hqdn3d", sharpen=0.6, levels=True, stabilize=True, loudnorm=True
    ),
}

_FIELDS = {f.name: f for f in fields(EnhanceOptions)}


def parse_spec(spec: str) -> EnhanceOptions:
    """``preset[:key=value,...]`` -> validated options (``EnhanceSpecError`` otherwise)."""
    name, _, params = spec.strip().partition(":")
    name = name.strip().lower()
    if name not in PRESETS:
        raise EnhanceSpecError(
            "unknown_preset", f"unknown enhancement preset {name!r}; known: {sorted(PRESETS)}"
        )
    options = PRESETS[name]
    changes: dict[str, object] = {}
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in _FIELDS:
            raise EnhanceSpecError(
                "invalid_enhance_option",
                f"unknown enhancement option {key!r}; known: {sorted(_FIELDS)}",
            )
        changes[key] = _convert(key, raw.strip(), getattr(options, key))
    return replace(options, **changes).validate()  # type: ignore[arg-type]


def _convert(key: str, raw: str, current: object) -> object:
    try:
        if isinstance(current, bool):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        if key == "denoise":
            return None if raw.lower() in ("", "none", "off") else raw.lower()
        if key == "deinterlace":
            return raw.lower()
        if isinstance(current, int):
            return int(raw)
        return float(raw)
    except ValueError:
        raise EnhanceSpecError(
            "invalid_enhance_option", f"bad value {raw!r} for enhancement option {key!r}"
        ) from None


def wants_deinterlace(options: EnhanceOptions, *, interlaced: bool) -> bool:
    return options.deinterlace == "always" or (options.deinterlace == "auto" and interlaced)


def _n(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def escape_filter_path(path: str) -> str:
    """Quote a file path for use as a filter option value."""
    return "'" + path.replace("\\", "\\\\").replace("'", "'\\\\''").replace(":", "\\:") + "'"


def detect_filters(options: EnhanceOptions, *, interlaced: bool, transforms: str) -> str:
    """First stabilisation pass: the frames vidstabdetect sees must match the second pass."""
    chain = []
    if wants_deinterlace(options, interlaced=interlaced):
        chain.append("bwdif=mode=send_frame:parity=auto:deint=all")
    chain.append(f"vidstabdetect=shakiness=5:accuracy=15:result={escape_filter_path(transforms)}")
    return ",".join(chain)


def video_filters(
    options: EnhanceOptions, *, interlaced: bool, transforms: str | None = None
) -> str:
    """The ``-vf`` chain: deinterlace, stabilise, denoise, levels, sharpen, then yuv420p."""
    chain: list[str] = []
    if wants_deinterlace(options, interlaced=interlaced):
        chain.append("bwdif=mode=send_frame:parity=auto:deint=all")
    if options.stabilize:
        if transforms is None:
            raise ValueError("stabilisation needs the transforms file of the detect pass")
        chain.append(
            f"vidstabtransform=input={escape_filter_path(transforms)}"
            f":smoothing={options.smoothing}:optzoom=1:interpol=bicubic"
        )
    s = options.denoise_strength
    if options.denoise == "hqdn3d":
        chain.append(f"hqdn3d={_n(s)}:{_n(s * 0.75)}:{_n(s * 1.5)}:{_n(s * 1.125)}")
    elif options.denoise == "nlmeans":
        chain.append(f"nlmeans=s={_n(s / 2)}:p=7:r=9")
    if options.levels:
        chain.append(
            "normalize=blackpt=black:whitept=white:smoothing=12:independence=0"
            f":strength={_n(options.levels_strength)}"
        )
    if options.sharpen > 0:
        chain.append(f"unsharp=5:5:{_n(options.sharpen)}:5:5:0")
    chain.append("format=yuv420p")
    return ",".join(chain)


@dataclass(frozen=True)
class Loudness:
    """What loudnorm's first pass measured (its JSON keys, as numbers)."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float


def audio_filters(options: EnhanceOptions, measured: Loudness | None) -> str | None:
    """Second-pass loudnorm (linear when the measurement is usable), resampled to 48 kHz."""
    if not options.loudnorm:
        return None
    target = f"I={_n(options.loudness)}:TP={_n(options.true_peak)}:LRA={_n(options.lra)}"
    if measured is None:
        return f"loudnorm={target},aresample=48000"
    return (
        f"loudnorm={target}:measured_I={_n(measured.input_i)}:measured_TP={_n(measured.input_tp)}"
        f":measured_LRA={_n(measured.input_lra)}:measured_thresh={_n(measured.input_thresh)}"
        f":offset={_n(measured.target_offset)}:linear=true,aresample=48000"
    )


def measure_command(
    ffmpeg: str, source: str, options: EnhanceOptions, *, input_format: str | None = None
) -> list[str]:
    """loudnorm's measuring pass over the audio only; the JSON report goes to stderr."""
    target = f"I={_n(options.loudness)}:TP={_n(options.true_peak)}:LRA={_n(options.lra)}"
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-nostats", *input_args(input_format), "-i", source,
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-af", f"loudnorm={target}:print_format=json",
        "-f", "null", "-",
    ]  # fmt: skip


def detect_command(
    ffmpeg: str, source: str, filters: str, *, input_format: str | None = None
) -> list[str]:
    """vidstabdetect pass: decode and analyse, write nothing but the transforms file."""
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", *input_args(input_format), "-i", source,
        "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", filters,
        "-f", "null", "-", "-progress", "pipe:1", "-nostats",
    ]  # fmt: skip


def enhance_command(
    ffmpeg: str,
    source: str,
    out: str,
    *,
    vf: str,
    af: str | None,
    has_audio: bool,
    container: str,
    x264_preset: str = "veryfast",
    crf: int = 18,
    input_format: str | None = None,
) -> list[str]:
    """The encoding pass: H.264 (+ AAC) with the filter chains, progress on stdout."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", *input_args(input_format), "-i", source]
    args += ["-map", "0:v:0"]
    args += ["-vf", vf, "-c:v", "libx264", "-preset", x264_preset, "-crf", str(crf)]
    args += ["-pix_fmt", "yuv420p"]
    if has_audio:
        args += ["-map", "0:a:0?"]
        if af:
            args += ["-af", af]
        args += ["-c:a", "aac", "-b:a", "160k"]
    args += ["-sn", "-dn", "-map_metadata", "0"]
    if container in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]
    args += ["-f", container, out, "-progress", "pipe:1", "-nostats"]
    return args
