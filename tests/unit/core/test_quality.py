"""The content-aware ladder's decisions (ADR 0046) on recorded probe figures."""

from __future__ import annotations

import pytest

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video
from vidhost.core.quality import (
    BASIC,
    CRF_MAX,
    CRF_MIN,
    DEFAULT_TIER,
    MAX_EFFECTIVE_TARGET,
    PLUS,
    PREMIUM,
    PREMIUM_PRESET,
    Probe,
    RungFigure,
    TierSettings,
    TitleDecision,
    capped_encoding,
    check_tier,
    crf_for_target,
    decide_title,
    effective_target,
    fixed_encoding,
    prune_rungs,
    quality_options,
    rung_cap,
    tier_settings,
    title_encoding,
    video_tier,
    vmaf_at_rate,
)

# Recorded: 2-second probes at 640x360 of 1080p lavfi sources, libx264 veryfast, libvmaf
# v0.6.1 (the 1080p encodes at the same CRFs scored 86.5/67.4 and 91.5 for grain at 22).
MANDELBROT = [Probe(22.0, 87.4, 318_712), Probe(30.0, 69.4, 172_156)]
GRAIN = [Probe(22.0, 95.5, 910_356), Probe(30.0, 87.4, 138_036)]  # testsrc2 + noise=alls=20
# Illustrative: a static slide scores near the top at both CRFs, in a few kb/s.
SLIDE = [Probe(22.0, 98.9, 31_000), Probe(30.0, 97.6, 15_000)]


def test_complex_content_gets_a_lower_crf_than_simple_content() -> None:
    complex_ = crf_for_target(MANDELBROT, 95.0)
    grain = crf_for_target(GRAIN, 95.0)
    simple = crf_for_target(SLIDE, 95.0)
    assert complex_ < grain < simple
    assert complex_ == 18.5  # 95 lies below the lower probe: extrapolated
    assert simple == CRF_MAX  # both probes above the target: the highest CRF allowed


def test_the_crf_is_interpolated_between_the_probes_rounded_to_the_safe_side() -> None:
    probes = [Probe(22.0, 96.0), Probe(30.0, 88.0)]  # 1 point per CRF step
    assert crf_for_target(probes, 95.0) == 23.0
    assert crf_for_target(probes, 92.5) == 25.5
    assert crf_for_target(probes, 92.7) == 25.0  # 25.3 -> 25 (more quality, not less)
    assert crf_for_target(list(reversed(probes)), 92.5) == 25.5  # order does not matter


def test_grain_interpolates_between_the_probes() -> None:
    # 95.5 at CRF 22, falling 1.01 a step: 95 at CRF 22.49, rounded down to 22
    assert crf_for_target(GRAIN, 95.0) == 22.0
    assert crf_for_target(GRAIN, 91.0) == 26.0  # 26.44, rounded down


def test_flat_or_noisy_probes_fall_back_to_the_side_of_the_target() -> None:
    assert crf_for_target([Probe(22.0, 97.0), Probe(30.0, 97.2)], 95.0) == CRF_MAX
    assert crf_for_target([Probe(22.0, 80.0), Probe(30.0, 80.1)], 95.0) == CRF_MIN
    assert crf_for_target([Probe(22.0, 96.0)], 95.0) == CRF_MAX
    assert crf_for_target([Probe(22.0, 90.0)], 95.0) == CRF_MIN
    with pytest.raises(ValueError):
        crf_for_target([], 95.0)


def test_three_probes_use_the_pair_that_brackets_the_target() -> None:
    probes = [Probe(18.0, 99.0), Probe(24.0, 96.0), Probe(30.0, 84.0)]
    assert crf_for_target(probes, 98.0) == 20.0  # on the flat part
    assert crf_for_target(probes, 90.0) == 27.0  # on the steep part


def test_a_static_slides_rungs_collapse() -> None:
    # a slide: every rung scores alike and takes nearly the same bytes
    figures = [
        RungFigure("1080p", 97.5, 60_000),
        RungFigure("720p", 97.1, 56_000),
        RungFigure("480p", 96.8, 54_000),
        RungFigure("360p", 93.0, 40_000),
        RungFigure("240p", 86.0, 30_000),
    ]
    assert prune_rungs(figures) == ["1080p", "360p", "240p"]


def test_rungs_that_save_bytes_or_look_different_are_kept() -> None:
    mandelbrot = [
        RungFigure("1080p", 88.0, 8_000_000),
        RungFigure("720p", 80.0, 4_400_000),
        RungFigure("480p", 70.0, 2_200_000),
    ]
    assert prune_rungs(mandelbrot) == ["1080p", "720p", "480p"]
    # same look but far fewer bytes: the lower rung saves a slow link's bandwidth
    cheap = [RungFigure("1080p", 96.0, 1_000_000), RungFigure("720p", 95.6, 500_000)]
    assert prune_rungs(cheap) == ["1080p", "720p"]
    assert prune_rungs([RungFigure("240p", 50.0, 1)]) == ["240p"]
    assert prune_rungs([]) == []


def test_tiers_have_their_documented_settings() -> None:
    basic, plus, premium = (tier_settings(t) for t in (BASIC, PLUS, PREMIUM))
    assert not basic.content_aware
    assert plus.content_aware and plus.target_vmaf == 95.0 and plus.preset is None
    assert premium.content_aware and premium.target_vmaf == 97.0
    assert premium.preset == PREMIUM_PRESET == "medium"
    assert premium.default_crf < plus.default_crf
    assert tier_settings(PLUS, 93.0).target_vmaf == 93.0
    assert tier_settings(PREMIUM, 97.5).target_vmaf == 98.0  # at most MAX_TARGET_VMAF
    assert TierSettings.from_dict(premium.to_dict()) == premium
    assert TierSettings.from_dict(None) == basic  # a plan stored before tiers
    with pytest.raises(ValueError):
        tier_settings("ultra")


def test_the_tier_option() -> None:
    assert check_tier(None) is None and check_tier("") is None
    assert check_tier(" Premium ") == PREMIUM
    assert quality_options("basic") == {"video_quality": "basic"}
    assert quality_options(None) == {}
    for bad in ("ultra", 3):
        with pytest.raises(InvalidInput) as info:
            check_tier(bad)
        assert info.value.code == "invalid_video_quality"
    video = Video(id="v", owner="u", filename="a.mp4", options={"video_quality": "basic"})
    assert video_tier(video) == BASIC
    assert video_tier(Video(id="w", owner="u", filename="a.mp4")) == DEFAULT_TIER == BASIC


def test_rung_rate_controls() -> None:
    fixed = fixed_encoding(5_000_000)
    assert (fixed.crf, fixed.bitrate, fixed.max_bitrate, fixed.buffer_size) == (
        None,
        5_000_000,
        5_350_000,
        7_500_000,
    )
    capped = capped_encoding(5_000_000, 21.5)
    assert capped.crf == 21.5
    assert capped.max_bitrate == rung_cap(5_000_000) == 8_000_000
    assert capped.buffer_size == 8_000_000


# Recorded (benchmarks/quality.py corpus, 5 s 960x540 clips; the title's sample (1 s) at the
# top rung's own size, 854x480, libx264 veryfast; the fixed encode is ABR at the fixed 480p
# rate, 1.4 Mb/s): the slide is near-perfect at the fixed rate, so the target rises to its
# score plus FIXED_MARGIN; the Mandelbrot zoom is far below the target even at CRF 20.
SLIDE_TOP = [Probe(20.0, 97.20, 35_952), Probe(28.0, 93.81, 32_552)]
SLIDE_FIXED = Probe(0.0, 96.85, 115_272)
MANDELBROT_TOP = [Probe(20.0, 90.47, 2_517_176), Probe(28.0, 75.70, 649_840)]
MANDELBROT_FIXED = Probe(0.0, 83.41, 1_356_992)
# testsrc2 under temporal noise: below the target at the fixed rate, but the cap buys little
GRAIN_TOP = [Probe(20.0, 96.24, 6_488_520), Probe(28.0, 87.61, 528_256)]
GRAIN_FIXED = Probe(0.0, 93.03, 1_332_704)
CAP_480P = 2_240_000  # rung_cap of the 480p rung's 1.4 Mb/s


def test_the_target_never_falls_far_below_the_fixed_rates_quality() -> None:
    assert effective_target(95.0, None) == 95.0
    assert effective_target(95.0, MANDELBROT_FIXED) == 95.0  # under-served: the target
    assert effective_target(95.0, SLIDE_FIXED) == pytest.approx(97.35)
    assert effective_target(95.0, Probe(0.0, 100.0)) == MAX_EFFECTIVE_TARGET


def test_the_title_decision_from_recorded_probes() -> None:
    slide = decide_title("src", SLIDE_TOP, SLIDE_FIXED, 95.0)
    mandelbrot = decide_title("src", MANDELBROT_TOP, MANDELBROT_FIXED, 95.0)
    # the slide: 97.35 lies above both probes (97.2 at 20, 93.8 at 28): extrapolated, 19.5
    assert slide.crf == 19.5 and slide.target == pytest.approx(97.35)
    # far below at both: extrapolated (17.6, rounded down); the cap decides its rate
    assert mandelbrot.crf == 17.5 and mandelbrot.target == 95.0
    assert mandelbrot.under_served and not slide.under_served
    assert TitleDecision.from_dict(slide.to_dict()) == slide
    failed = TitleDecision("src", 23.0, 95.0)
    assert TitleDecision.from_dict(failed.to_dict()) == failed


def test_rungs_below_the_top_keep_the_fixed_ladders_peak() -> None:
    lower = capped_encoding(2_800_000, 24.0, top=False)
    fixed = fixed_encoding(2_800_000)
    assert lower.crf == 24.0
    # the fixed peak, one second of buffer at it (a chunk starts with its buffer nearly full)
    assert lower.max_bitrate == lower.buffer_size == fixed.max_bitrate
    assert capped_encoding(2_800_000, 24.0).max_bitrate == rung_cap(2_800_000) > lower.max_bitrate


def test_lower_rungs_of_under_served_content_keep_the_fixed_encoding() -> None:
    assert title_encoding(1_400_000, 17.5, top=False, under_served=True) == fixed_encoding(
        1_400_000
    )
    top = title_encoding(1_400_000, 17.5, top=True, under_served=True)
    assert top == capped_encoding(1_400_000, 17.5)  # the top rung gets the cap's rate
    assert title_encoding(1_400_000, 22.0, top=False) == capped_encoding(1_400_000, 22.0, top=False)


def test_vmaf_at_a_rate_interpolates_in_log_rate() -> None:
    points = [*MANDELBROT_TOP, MANDELBROT_FIXED]
    assert vmaf_at_rate(points, 1_356_992) == pytest.approx(83.41)
    # between the fixed encode (1.36 Mb/s) and CRF 20 (2.52 Mb/s): 81 % of the way in log rate
    assert vmaf_at_rate(points, CAP_480P) == pytest.approx(89.14, abs=0.01)
    assert vmaf_at_rate(points, 10_000_000) == pytest.approx(100.0)  # extrapolated, at most 100
    assert vmaf_at_rate([Probe(20.0, 90.0)], 1_000) is None  # no rates to go by


def test_under_served_content_is_boosted_only_where_the_cap_buys_enough() -> None:
    mandelbrot = decide_title("s", MANDELBROT_TOP, MANDELBROT_FIXED, 95.0, cap=CAP_480P)
    grain = decide_title("s", GRAIN_TOP, GRAIN_FIXED, 95.0, cap=CAP_480P)
    assert mandelbrot.under_served and mandelbrot.boost  # +5.7 estimated at the cap
    assert grain.under_served and not grain.boost  # +1.1 estimated: not worth 1.6x the rate
    assert TitleDecision.from_dict(grain.to_dict()) == grain
    top = title_encoding(1_400_000, grain.crf, top=True, under_served=True, boost=False)
    assert top == fixed_encoding(1_400_000)
    slide = decide_title("s", SLIDE_TOP, SLIDE_FIXED, 95.0, cap=CAP_480P)
    assert not slide.under_served and slide.boost
