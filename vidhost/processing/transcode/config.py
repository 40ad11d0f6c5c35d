"""The transcode's settings and constants (ADRs 0060-0064)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind
from vidhost.core.quality import DEFAULT_TARGET_VMAF
from vidhost.processing.probing import ProbeConfig

PARTS = (TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO)
MP2T = "video/MP2T"
M4S = "video/iso.segment"
MP4 = "video/mp4"
FIRST_REQUEST_WAIT = 1.0
"""Seconds the first chunk waits, once its start rung is stored and the video ready, for a
player to ask for a rung (ADR 0062)."""
START_WAIT = 4.0
"""The most it waits in all (the video becomes ready when the audio's start is stored)."""
QUALITY_KEY = "quality"
"""``SegmentPlan.extra`` key: the video's tier settings (``vidhost.core.quality``, ADR 0046)."""
LIKELY_START_HEIGHT = 720
"""The rung height players most often start on with a good link (hls.js's bandwidth test on
a fast network, AVPlayer, ExoPlayer): the opening chunk encodes it with the start rung."""


@dataclass
class TranscodeConfig:
    ffmpeg: str
    heights: Sequence[int]
    segment_seconds: float
    preset: str
    timeout: float
    tmp_dir: Path
    strict_decode: bool = True
    chunk_seconds: float = 12.0
    first_chunk_seconds: float | None = None
    """``None``: the first chunk is one segment (the start is fast)."""
    packaging: str = layout.CMAF
    """``cmaf`` or ``ts`` for new plans (ADR 0063); a stored plan keeps its own."""
    opening_seconds: Sequence[float] = ()
    """The first segments' lengths, each its own chunk (``Settings.opening_segments``)."""
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    cache_sources: int = 0
    """Sources a worker keeps between tasks (S3: each is downloaded once per worker, not
    once per chunk); 0 when reading the source costs nothing (local storage)."""
    quality_target: float = DEFAULT_TARGET_VMAF
    """The top rung's VMAF target of the ``plus`` tier (``premium`` aims higher)."""
