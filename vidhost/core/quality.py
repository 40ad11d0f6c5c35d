"""Quality tiers and the content-aware ladder's decisions (issue 23, ADR 0046).

Pure policy: which tier a video has, the encoding of each rung (a fixed average rate, or a
CRF under a per-rung cap), the CRF that reaches the target VMAF from two recorded probe
encodes, and which rungs add no visible quality. The probes themselves are measured by
``vidhost.media.quality_probe``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video

VIDEO_QUALITY_OPTION = "video_quality"
"""``Video.options`` key: the video's quality tier (Mux's ``video_quality``)."""
BASIC, PLUS, PREMIUM = "basic", "plus", "premium"
TIERS = (BASIC, PLUS, PREMIUM)
DEFAULT_TIER = BASIC
"""A video that names no tier (and a plan stored before tiers): the fixed ladder. `plus` is
opt-in until it meets issue 23's bars (ADR 0046, "Default")."""

DEFAULT_TARGET_VMAF = 95.0
"""The top rung's VMAF target of the ``plus`` tier (``VIDHOST_QUALITY_TARGET``)."""
PREMIUM_TARGET_BONUS = 2.0
"""``premium`` aims this much higher (at most ``MAX_TARGET_VMAF``)."""
MAX_TARGET_VMAF = 98.0
PREMIUM_PRESET = "medium"
"""x264 preset of the ``premium`` tier; the others use the server's (``veryfast``)."""

DEFAULT_CRF = 23.0
"""The CRF of a content-aware rung before the title is measured (or when the probe fails)."""
PREMIUM_DEFAULT_CRF = 21.0
CRF_MIN = 16.0
CRF_MAX = 30.0
"""The CRFs a decision may give: below 16 the cap decides anyway; above 30 a probe's small
sample is the only evidence for a large saving."""
PROBE_CRFS = (20.0, 28.0)
"""The two CRFs each probe sample is encoded at (at the top rung's own size)."""
FIXED_MARGIN = 0.5
"""The top rung aims at least this far above the fixed ladder's score on the same samples
(the target rises to it): the whole title, in chunks, scored up to 1-2 VMAF below its samples
in the benchmark (a zoom over a still, upscaled footage), so simple content, which the fixed
rate already serves near-perfectly, keeps that quality, in the bytes its CRF needs."""
MAX_EFFECTIVE_TARGET = 99.0
BOOST_GAIN = 2.0
"""Content the fixed rate under-serves gets a top rung above the fixed rate (up to its cap)
only when the probes estimate at least this many VMAF points more at the cap than at the
fixed rate; otherwise (film grain: +1 for 1.7x the bytes) it keeps the fixed encoding."""

CAP_FACTOR = 1.6
"""The top content-aware rung's maxrate: this times the fixed ladder's average rate at its
size (1080p: 8 Mb/s where the fixed ladder averages 5), so complex content gets the rate it
needs and the worst case stays bounded."""
CAP_BUFFER_FACTOR = 1.0
"""Its VBV buffer: one second at the cap. Each chunk starts with a nearly full buffer, so a
larger one lets short chunks (the 1 s opening ones) overshoot the cap."""
FIXED_MAXRATE_FACTOR = 1.07
"""The fixed ladder's maxrate, which is also the cap of every content-aware rung below the
top: those encode at the top rung's CRF but never above the fixed ladder's peak, so complex
content spends its extra bytes where the issue's bar is (the top rung)."""
FIXED_BUFFER_FACTOR = 1.5

PRUNE_VMAF = 1.0
"""Two adjacent rungs closer than this in VMAF ..."""
PRUNE_BYTES = 0.85
"""... whose lower one takes at least this share of the higher one's bytes: the lower one
adds nothing (no visible step, no saving) and is dropped."""


@dataclass(frozen=True)
class TierSettings:
    tier: str
    content_aware: bool
    """``False``: the fixed ABR ladder (``basic``)."""
    target_vmaf: float
    default_crf: float
    preset: str | None
    """``None``: the server's preset."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "content_aware": self.content_aware,
            "target_vmaf": self.target_vmaf,
            "default_crf": self.default_crf,
            "preset": self.preset,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> TierSettings:
        """A stored plan's settings; a plan stored before tiers existed is ``basic``."""
        if not raw:
            return tier_settings(BASIC)
        return cls(
            tier=str(raw["tier"]),
            content_aware=bool(raw["content_aware"]),
            target_vmaf=float(raw["target_vmaf"]),
            default_crf=float(raw["default_crf"]),
            preset=raw.get("preset"),
        )


def tier_settings(tier: str, target_vmaf: float = DEFAULT_TARGET_VMAF) -> TierSettings:
    """What ``tier`` encodes with: ``basic`` the fixed ladder, ``plus`` capped CRF toward
    ``target_vmaf`` for the top rung, ``premium`` the same with a slower preset and a target
    ``PREMIUM_TARGET_BONUS`` higher."""
    if tier == BASIC:
        return TierSettings(BASIC, False, 0.0, 0.0, None)
    if tier == PLUS:
        return TierSettings(PLUS, True, target_vmaf, DEFAULT_CRF, None)
    if tier == PREMIUM:
        target = min(MAX_TARGET_VMAF, target_vmaf + PREMIUM_TARGET_BONUS)
        return TierSettings(PREMIUM, True, target, PREMIUM_DEFAULT_CRF, PREMIUM_PRESET)
    raise ValueError(f"unknown quality tier {tier!r}")


def check_tier(value: object) -> str | None:
    """An upload's quality option: ``basic``, ``plus``, ``premium`` or absent; anything
    else is 400 ``invalid_video_quality``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip().lower() not in TIERS:
        raise InvalidInput(
            f"video_quality must be one of {', '.join(TIERS)}", code="invalid_video_quality"
        )
    return value.strip().lower()


def quality_options(value: object) -> dict[str, str]:
    """A new video's processing options from its quality field (checked as above)."""
    tier = check_tier(value)
    return {VIDEO_QUALITY_OPTION: tier} if tier else {}


def video_tier(video: Video) -> str:
    value = video.options.get(VIDEO_QUALITY_OPTION)
    return value if value in TIERS else DEFAULT_TIER


@dataclass(frozen=True)
class RungEncoding:
    """The rate control of one rung: ``crf`` under a ``max_bitrate`` cap, or (``crf`` None)
    an average ``bitrate``. Rates in bits/s."""

    crf: float | None
    bitrate: int
    max_bitrate: int
    buffer_size: int


def fixed_encoding(bitrate: int) -> RungEncoding:
    """The fixed ladder's rung: ABR at ``bitrate``, maxrate 1.07x, buffer 1.5x."""
    return RungEncoding(
        None,
        bitrate,
        round(bitrate * FIXED_MAXRATE_FACTOR),
        round(bitrate * FIXED_BUFFER_FACTOR),
    )


def capped_encoding(bitrate: int, crf: float, *, top: bool = True) -> RungEncoding:
    """A content-aware rung whose fixed-ladder rate is ``bitrate``: ``crf`` under its cap
    (the top rung: ``rung_cap``; a lower one: the fixed ladder's maxrate), with one second
    of buffer at the cap."""
    cap = rung_cap(bitrate) if top else fixed_encoding(bitrate).max_bitrate
    return RungEncoding(crf, bitrate, cap, round(cap * CAP_BUFFER_FACTOR))


def rung_cap(bitrate: int) -> int:
    """The maxrate of a top content-aware rung whose fixed-ladder rate is ``bitrate``."""
    return round(bitrate * CAP_FACTOR)


@dataclass(frozen=True)
class Probe:
    """One probe encode of a sample: its CRF, VMAF against the sample and bits/s."""

    crf: float
    vmaf: float
    bitrate: float = 0.0


def crf_for_target(probes: Sequence[Probe], target: float) -> float:
    """The CRF whose VMAF reaches ``target``, interpolated (or extrapolated) linearly in
    CRF between the two probes that bracket it, rounded down to a half step (the safer side)
    and kept in ``[CRF_MIN, CRF_MAX]``. VMAF falls as the CRF rises; probes that do not
    (noise in the measure) count as flat: the target decides by which side they are on."""
    if not probes:
        raise ValueError("at least one probe")
    points = sorted(probes, key=lambda p: p.crf)
    if len(points) == 1:
        (only,) = points
        crf = CRF_MAX if only.vmaf >= target else CRF_MIN
        return _clamp(crf if only.vmaf != target else only.crf)
    # the pair to interpolate on: the first whose range holds the target, else the end pair
    pair = (points[0], points[1])
    for a, b in itertools.pairwise(points):
        if min(a.vmaf, b.vmaf) <= target <= max(a.vmaf, b.vmaf):
            pair = (a, b)
            break
    else:
        if target < min(p.vmaf for p in points):
            pair = (points[-2], points[-1])
    a, b = pair
    slope = (b.vmaf - a.vmaf) / (b.crf - a.crf)
    if slope >= -1e-6:  # flat or rising: no information but which side of the target
        return _clamp(CRF_MAX if min(a.vmaf, b.vmaf) >= target else CRF_MIN)
    crf = a.crf + (target - a.vmaf) / slope
    return _clamp(math.floor(crf * 2) / 2)


def effective_target(target: float, fixed: Probe | None) -> float:
    """The VMAF the top rung aims at: ``target``, raised to the fixed ladder's score on the
    same samples plus ``FIXED_MARGIN`` (``fixed``: the samples encoded at the fixed rate), at
    most ``MAX_EFFECTIVE_TARGET``; never below ``target``."""
    if fixed is None:
        return target
    return max(target, min(MAX_EFFECTIVE_TARGET, fixed.vmaf + FIXED_MARGIN))


@dataclass(frozen=True)
class TitleDecision:
    """The content-aware encoding of a whole title (ADR 0046): the CRF every rung of every
    chunk (but the first chunk's start rungs) is encoded at, and the figures it came from.
    ``probes`` empty: not measured (a failed probe), the tier's default CRF."""

    source_key: str
    crf: float
    target: float
    probes: tuple[Probe, ...] = ()
    fixed: Probe | None = None
    boost: bool = True
    """Under-served content: does the top rung go above the fixed rate (``BOOST_GAIN``)?"""

    @property
    def under_served(self) -> bool:
        """Does the fixed rate miss the target on the samples? Then the rungs below the top
        keep the fixed ladder's encoding (``title_encoding``), and the top too unless
        ``boost``."""
        return _under_served(self.fixed, self.target)

    def to_dict(self) -> dict[str, Any]:
        def probe(p: Probe) -> dict[str, float]:
            return {"crf": p.crf, "vmaf": p.vmaf, "bitrate": p.bitrate}

        return {
            "source_key": self.source_key,
            "crf": self.crf,
            "target": self.target,
            "probes": [probe(p) for p in self.probes],
            "fixed": probe(self.fixed) if self.fixed else None,
            "boost": self.boost,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TitleDecision:
        def probe(p: Mapping[str, Any]) -> Probe:
            return Probe(float(p["crf"]), float(p["vmaf"]), float(p.get("bitrate", 0.0)))

        fixed = raw.get("fixed")
        return cls(
            source_key=str(raw["source_key"]),
            crf=float(raw["crf"]),
            target=float(raw["target"]),
            probes=tuple(probe(p) for p in raw.get("probes") or ()),
            fixed=probe(fixed) if fixed else None,
            boost=bool(raw.get("boost", True)),
        )


def title_encoding(
    bitrate: int, crf: float, *, top: bool, under_served: bool = False, boost: bool = True
) -> RungEncoding:
    """A content-aware rung's encoding once the title is decided: ``crf`` under its cap
    (``capped_encoding``), but a rung below the top of content the fixed rate under-serves
    keeps the fixed ladder's encoding (its CRF would sit at the cap: more bytes for a rung the
    cap keeps near the fixed quality anyway; the extra bytes go to the top rung), and so does
    the top rung when a boost buys little (``boost`` False)."""
    if under_served and (not top or not boost):
        return fixed_encoding(bitrate)
    return capped_encoding(bitrate, crf, top=top)


def vmaf_at_rate(points: Sequence[Probe], bitrate: float) -> float | None:
    """The VMAF at ``bitrate`` bits/s, interpolated linearly in log(rate) between the encodes
    of the samples (``points``: probes and the fixed encode) that bracket it, extrapolated
    from the two nearest beyond them; None without two distinct rates."""
    known = sorted((p for p in points if p.bitrate > 0), key=lambda p: p.bitrate)
    if len({p.bitrate for p in known}) < 2 or bitrate <= 0:
        return None
    pair = (known[-2], known[-1]) if bitrate >= known[-1].bitrate else (known[0], known[1])
    for a, b in itertools.pairwise(known):
        if a.bitrate <= bitrate <= b.bitrate and a.bitrate < b.bitrate:
            pair = (a, b)
            break
    a, b = pair
    if a.bitrate == b.bitrate:
        return None
    share = math.log(bitrate / a.bitrate) / math.log(b.bitrate / a.bitrate)
    return min(100.0, a.vmaf + share * (b.vmaf - a.vmaf))


def decide_title(
    source_key: str,
    probes: Sequence[Probe],
    fixed: Probe | None,
    target: float,
    cap: int | None = None,
) -> TitleDecision:
    """The title's CRF from its probes at the top rung's size: the CRF that reaches the
    target (``effective_target``: never much below what the fixed rate gives). Content the
    fixed rate under-serves is boosted (the top rung above the fixed rate, up to ``cap``
    bits/s) only when that is estimated to gain ``BOOST_GAIN`` (``vmaf_at_rate``)."""
    aim = effective_target(target, fixed)
    boost = True
    if fixed is not None and _under_served(fixed, aim) and cap is not None:
        at_cap = vmaf_at_rate([*probes, fixed], cap)
        boost = at_cap is None or at_cap - fixed.vmaf >= BOOST_GAIN
    return TitleDecision(
        source_key, crf_for_target(probes, aim), aim, tuple(probes), fixed, boost=boost
    )


def _under_served(fixed: Probe | None, aim: float) -> bool:
    """Is the fixed encode below the aim by more than the margin (the aim is the target)?"""
    return fixed is not None and fixed.vmaf + FIXED_MARGIN < aim


def _clamp(crf: float) -> float:
    return min(CRF_MAX, max(CRF_MIN, crf))


@dataclass(frozen=True)
class RungFigure:
    """A rung's measured or estimated VMAF and bytes (or bits/s), highest rung first."""

    name: str
    vmaf: float
    size: float


def prune_rungs(figures: Sequence[RungFigure]) -> list[str]:
    """The rungs worth keeping, highest first: walking down from the top rung (always kept),
    a rung within ``PRUNE_VMAF`` of the last kept one that takes at least ``PRUNE_BYTES`` of
    its bytes is dropped: it looks the same and saves nothing (a static slide's rungs)."""
    kept: list[RungFigure] = []
    for figure in figures:
        if kept:
            above = kept[-1]
            same_look = abs(above.vmaf - figure.vmaf) < PRUNE_VMAF
            no_saving = figure.size >= PRUNE_BYTES * above.size
            if same_look and no_saving:
                continue
        kept.append(figure)
    return [f.name for f in kept]
