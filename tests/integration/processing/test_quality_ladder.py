"""The content-aware ladder and the quality tiers (issue 23, ADR 0046), on real ffmpeg.

Two contrasting 3 s 640x360 clips, 1 s segments, 2 s chunks: a static slide (SMPTE HD
bars) and a Mandelbrot zoom. With the ``plus`` tier the title is probed once (a sample at
the top rung's own size, at two CRFs and at the fixed rate, libvmaf) and every chunk after
the first is encoded at the CRF that reaches the target under the rung's cap: the complex
clip gets a higher top-rung rate than the slide, and than the fixed ladder gives it; the
slide far less than the fixed ladder spends on it. Once stored, the master's and the MPD's
bandwidths are the stored segments' measured rates and every rung reports its VMAF.
"""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import container, run_transcode
from tests.integration.helpers import upload as upload_local
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus
from vidhost.core.quality import BASIC, PLUS, PREMIUM, TierSettings, TitleDecision, rung_cap
from vidhost.media.binaries import ffmpeg_path
from vidhost.processing.transcode import load_plan
from vidhost.processing.transcode.config import QUALITY_KEY

SECONDS = 3.0
SETTINGS = {
    "ladder_heights": [360, 180],
    "segment_seconds": 1.0,
    "chunk_seconds": 2.0,
    "x264_preset": "veryfast",
}


def _clip(path: Path, source: str) -> Path:
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", f"{source}:r=25",
         "-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}",
         "-c:v", "libx264", "-crf", "10", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-t", str(SECONDS), str(path)],
        check=True, timeout=300,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clip(tmp_path_factory.mktemp("slide") / "slide.mp4", "smptehdbars=s=640x360")


@pytest.fixture(scope="module")
def mandelbrot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clip(tmp_path_factory.mktemp("mandel") / "mandel.mp4", "mandelbrot=s=640x360")


@dataclass
class Ladder:
    sizes: dict[str, int]
    """Bytes of each rung's segments after the first chunk (the ones a probe decides)."""
    quality: TierSettings
    cap: int
    """The top rung's planned maxrate."""
    chunks: int
    decision: TitleDecision | None
    vmaf: dict[str, float | None]
    """Each rendition's VMAF mean as the API reports it."""


def _measured(c: Any, video_id: str, plan: Any) -> dict[str, tuple[int, int]]:
    """Each rendition's (average, peak) bits/s, from the stored segments' sizes (no init)."""
    out = {}
    for name in plan.rendition_names():
        sizes = [
            c.storage.stat(layout.hls_prefix(video_id) + plan.segment_name(name, s.index)).size
            for s in plan.segments
        ]
        durations = [plan.segment_duration(s) for s in plan.segments]
        peak = max(math.ceil(b * 8 / d) for b, d in zip(sizes, durations, strict=True))
        out[name] = (math.ceil(sum(sizes) * 8 / sum(durations)), peak)
    return out


def _check_bandwidths(c: Any, video_id: str, plan: Any) -> None:
    """The master's BANDWIDTH/AVERAGE-BANDWIDTH (rung + audio) and the MPD's bandwidth (each
    representation alone) are what the stored segments measure."""
    rates = _measured(c, video_id, plan)
    audio = rates[layout.AUDIO_RENDITION]
    master = c.storage.get_bytes(layout.master_key(video_id)).decode()
    mpd = c.storage.get_bytes(layout.dash_key(video_id)).decode()
    for r in plan.renditions:
        average, peak = rates[r.name]
        line = next(x for x in master.splitlines() if f"RESOLUTION={r.width}x{r.height}" in x)
        assert f":BANDWIDTH={peak + audio[1]}," in line
        assert f"AVERAGE-BANDWIDTH={average + audio[0]}," in line
        assert re.search(rf'<Representation id="{r.name}" bandwidth="{peak}"', mpd)
    assert re.search(rf'<Representation id="audio" bandwidth="{audio[1]}"', mpd)


def _ladder(tmp: Path, clip: Path, tier: str) -> Ladder:
    """Transcode ``clip`` at ``tier``, then measure its quality (the background task)."""
    with container(tmp, **SETTINGS) as c:
        video_id = upload_local(c, clip, video_quality=tier)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        runner = c.task_runner()
        assert runner.run(video_id, TaskKind.QUALITY_MEASUREMENT.value) is TaskStatus.COMPLETED
        plan = load_plan(c.storage, video_id)
        _check_bandwidths(c, video_id, plan)
        video = c.videos.find(video_id)
        assert video is not None
        vmaf = {r.name: r.vmaf_mean for r in video.renditions}
        try:
            raw = c.storage.get_bytes(layout.quality_decision_key(video_id))
            decision: TitleDecision | None = TitleDecision.from_dict(json.loads(raw))
        except FileNotFoundError:
            decision = None
        later = [s.index for chunk in plan.chunks[1:] for s in plan.chunk_segments(chunk)]
        sizes = {
            r.name: sum(
                c.storage.stat(layout.hls_prefix(video_id) + plan.segment_name(r.name, i)).size
                for i in later
            )
            for r in plan.renditions
        }
        quality = TierSettings.from_dict(plan.extra.get(QUALITY_KEY))
        return Ladder(
            sizes, quality, plan.renditions[0].max_bitrate, len(plan.chunks), decision, vmaf
        )


@pytest.mark.timeout(1200)  # four ladders, on two shared cores
def test_the_complex_clip_gets_a_higher_top_rung_rate_than_the_slide(
    slide: Path, mandelbrot: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vidhost.processing.transcode.chunk")
    plus = _ladder(tmp_path / "slide", slide, PLUS)
    plus_complex = _ladder(tmp_path / "mandel", mandelbrot, PLUS)
    basic = _ladder(tmp_path / "slide-basic", slide, BASIC)
    fixed_complex = _ladder(tmp_path / "mandel-basic", mandelbrot, BASIC).sizes
    probes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("quality of")]
    simple, complex_, fixed_simple = plus.sizes, plus_complex.sizes, basic.sizes

    assert plus.quality.tier == PLUS and plus.quality.content_aware
    assert basic.quality.tier == BASIC and not basic.quality.content_aware
    assert plus.cap > basic.cap  # the top rung may reach more than the fixed ladder allows
    assert complex_["360p"] > 5 * simple["360p"]
    # the slide: a fraction of what the fixed ladder spends on it, on every rung
    assert simple["360p"] < 0.5 * fixed_simple["360p"]
    assert simple["180p"] < 0.5 * fixed_simple["180p"]
    # the Mandelbrot zoom scores below the target at the fixed rate: the cap gives it more
    assert complex_["360p"] > 1.1 * fixed_complex["360p"]
    # each plus title is probed once (whatever its chunks), no basic one
    assert plus.chunks > 1 and len(probes) == 2
    assert all("crf" in m and "fixed rate vmaf" in m for m in probes)
    assert basic.decision is None
    assert plus.decision is not None and plus_complex.decision is not None
    assert len(plus.decision.probes) == 2 and plus.decision.fixed is not None
    # the complex clip is below the target at the fixed rate (its top rung gets the cap's
    # rate: boosted); the slide is not: it aims at what the fixed rate scores
    assert plus_complex.decision.fixed is not None and plus_complex.decision.fixed.vmaf < 95
    assert plus_complex.decision.under_served and plus_complex.decision.boost
    assert not plus.decision.under_served
    # the slide is near-perfect at the fixed rate: its target is that, plus half a point
    fixed_slide = plus.decision.fixed.vmaf
    assert plus.decision.target == pytest.approx(max(95.0, min(99.0, fixed_slide + 0.5)))
    # every rung of every ladder reports its measured VMAF
    for ladder in (plus, plus_complex, basic):
        assert all(v is not None and 0 < v <= 100 for v in ladder.vmaf.values())


@pytest.mark.parametrize(
    ("tier", "preset", "target"),
    [(BASIC, None, 0.0), (PLUS, None, 95.0), (PREMIUM, "medium", 97.0)],
)
def test_each_tier_is_planned_with_its_settings(
    slide: Path, tmp_path: Path, tier: str, preset: str | None, target: float
) -> None:
    with container(tmp_path, **SETTINGS) as c:
        video_id = upload_local(c, slide, video_quality=tier)
        assert c.task_runner().run(video_id, "transcode") is TaskStatus.PROCESSING
        plan = load_plan(c.storage, video_id)
        quality = TierSettings.from_dict(plan.extra[QUALITY_KEY])
        assert (quality.tier, quality.preset, quality.target_vmaf) == (tier, preset, target)
        top = plan.renditions[0]
        if tier == BASIC:  # the fixed ladder's peak: 1.07x the average
            assert top.max_bitrate == round(top.video_bitrate * 1.07)
        else:  # the cap a CRF encode may reach
            assert top.max_bitrate == rung_cap(top.video_bitrate)
        assert top.bandwidth == top.max_bitrate + (plan.audio_bitrate or 0)
