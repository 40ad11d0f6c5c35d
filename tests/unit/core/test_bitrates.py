"""Measured bit rates of stored rungs and the master playlist written from them (ADR 0045).

The figures are recorded from a stored 10 s ladder (sizes in bytes of each segment)."""

from __future__ import annotations

import pytest

from vidhost.core.bitrates import Rates, measure
from vidhost.core.segments import (
    PlannedRendition,
    SegmentPlan,
    make_plan,
    master_playlist,
    measured_rates,
    variant_rates,
)

LOW = PlannedRendition("240p", 426, 240, 500_000, 400_000, 428_000, 600_000, "avc1.64000d")
HIGH = PlannedRendition(
    "720p", 1280, 720, 3_306_000, 2_800_000, 2_996_000, 4_200_000, "avc1.64001f,mp4a.40.2"
)
# 4 s, 4 s, 2 s segments: video 240p, 720p, and the audio
SIZES = {
    "240p": [201_734, 188_112, 112_901],
    "720p": [1_402_220, 1_391_006, 820_115],
    "audio": [48_977, 48_610, 24_420],
}


def _plan(audio: bool = True) -> SegmentPlan:
    return make_plan(
        source_key="videos/x/source",
        duration=10.0,
        fps=25,
        segment_seconds=4.0,
        chunk_seconds=12.0,
        first_chunk_seconds=4.0,
        renditions=(LOW, HIGH),
        audio_bitrate=96_000 if audio else None,
    )


def _stored(names: tuple[str, ...] = ("240p", "720p", "audio")) -> dict[str, int]:
    return {f"{n}_{i:05d}.m4s": size for n in names for i, size in enumerate(SIZES[n])}


def test_average_is_all_bytes_over_all_seconds_and_peak_the_largest_segment() -> None:
    rates = measure([4.0, 4.0, 2.0], SIZES["720p"])
    assert rates.average == 2_890_673  # ceil(3_613_341 * 8 / 10)
    assert rates.peak == 3_280_460  # the 2 s segment: ceil(820_115 * 8 / 2)
    assert rates.peak >= rates.average


def test_measure_refuses_mismatched_or_empty_figures() -> None:
    with pytest.raises(ValueError):
        measure([4.0, 4.0], [1, 2, 3])
    with pytest.raises(ValueError):
        measure([], [])
    with pytest.raises(ValueError):
        measure([0.0], [10])


def test_a_rendition_is_measured_only_when_every_segment_is_stored() -> None:
    stored = _stored()
    del stored["720p_00002.m4s"]
    measured = measured_rates(_plan(), stored)
    assert set(measured) == {"240p", "audio"}
    assert measured["240p"] == measure([4.0, 4.0, 2.0], SIZES["240p"])


def test_a_variant_carrying_the_audio_group_adds_the_audio_figures() -> None:
    plan = _plan()
    measured = measured_rates(plan, _stored())
    rates = variant_rates(plan, measured)
    audio = measure([4.0, 4.0, 2.0], SIZES["audio"])
    assert rates["720p"] == measure([4.0, 4.0, 2.0], SIZES["720p"]) + audio
    assert rates["240p"].peak == measure([4.0, 4.0, 2.0], SIZES["240p"]).peak + audio.peak


def test_the_master_advertises_measured_figures_once_a_rung_and_the_audio_are_stored() -> None:
    plan = _plan()
    planned = master_playlist(plan)
    assert "BANDWIDTH=500000,AVERAGE-BANDWIDTH=496000" in planned
    # the 720p rung is incomplete: planned figures for it, measured ones for 240p
    partial = _stored()
    del partial["720p_00000.m4s"]
    text = master_playlist(plan, measured_rates(plan, partial))
    low = variant_rates(plan, measured_rates(plan, partial))["240p"]
    assert f"BANDWIDTH={low.peak},AVERAGE-BANDWIDTH={low.average}," in text
    assert "BANDWIDTH=3306000,AVERAGE-BANDWIDTH=2896000," in text
    # without the audio, no variant is measured: the group is part of every variant
    no_audio = _stored(("240p", "720p"))
    assert master_playlist(plan, measured_rates(plan, no_audio)) == planned


def test_a_silent_ladder_is_measured_from_its_video_alone() -> None:
    plan = _plan(audio=False)
    measured = measured_rates(plan, _stored(("240p", "720p")))
    assert variant_rates(plan, measured)["720p"] == measure([4.0, 4.0, 2.0], SIZES["720p"])


def test_rates_add_up() -> None:
    assert Rates(1, 2) + Rates(10, 20) == Rates(11, 22)
