from __future__ import annotations

import numpy as np
import pytest

from vidhost.media.histogram import (
    ColorAccumulator,
    channel_counts,
    mean_values,
    normalise,
)
from vidhost.media.sampling import analysis_size, plan_sampling


def test_channel_counts_match_a_per_channel_reference() -> None:
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    counts = channel_counts(frame)
    assert counts.shape == (3, 256)
    for c in range(3):
        expected, _ = np.histogram(frame[:, :, c], bins=256, range=(0, 256))
        assert np.array_equal(counts[c], expected)
    assert counts.sum(axis=1).tolist() == [37 * 53] * 3


def test_solid_frame_is_one_bin_per_channel_and_average_is_the_colour() -> None:
    frame = np.empty((10, 20, 3), dtype=np.uint8)
    frame[:] = (12, 200, 77)  # b, g, r
    acc = ColorAccumulator()
    acc.add(frame)
    acc.add(frame)
    profile = acc.profile()
    hist = profile["histograms"]
    assert isinstance(hist, dict)
    for name, value in zip("bgr", (12, 200, 77), strict=True):
        nonzero = [i for i, v in enumerate(hist[name]) if v > 0]
        assert nonzero == [value]
        assert hist[name][value] == pytest.approx(1.0)
    assert profile["average_color"] == {"b": 12, "g": 200, "r": 77}


def test_frames_weigh_by_pixel_count() -> None:
    black = np.zeros((10, 10, 3), dtype=np.uint8)
    white = np.full((10, 30, 3), 255, dtype=np.uint8)
    acc = ColorAccumulator()
    acc.add(black)
    acc.add(white)
    hist = normalise(acc.counts)
    assert hist[:, 0].tolist() == pytest.approx([0.25] * 3)
    assert hist[:, 255].tolist() == pytest.approx([0.75] * 3)
    assert mean_values(hist).tolist() == pytest.approx([255 * 0.75] * 3)


def test_histograms_sum_to_one_and_empty_stays_zero() -> None:
    rng = np.random.default_rng(1)
    acc = ColorAccumulator()
    acc.add(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
    assert normalise(acc.counts).sum(axis=1).tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert normalise(np.zeros((3, 256), dtype=np.int64)).sum() == 0.0


@pytest.mark.parametrize(
    "frame",
    [np.zeros((4, 4), dtype=np.uint8), np.zeros((4, 4, 3), dtype=np.float32)],
)
def test_bad_frames_are_rejected(frame: np.ndarray) -> None:
    with pytest.raises(ValueError):
        channel_counts(frame)


def test_sampling_plan_decodes_short_clips_fully_and_samples_long_ones() -> None:
    assert plan_sampling(2.0, 50, 25.0).mode == "all"
    assert plan_sampling(12.0, None, 25.0).mode == "all"  # 300 frames: still every frame
    long = plan_sampling(60.0, 1500, 25.0, max_samples=120)
    assert long.mode == "keyframes"
    assert long.interval == pytest.approx(0.5)
    assert plan_sampling(60.0, 1500, 25.0, full_decode_max_frames=2000).mode == "all"


def test_analysis_size_keeps_aspect_and_even_height() -> None:
    assert analysis_size(1920, 1080) == (320, 180)
    assert analysis_size(320, 240) == (320, 240)
    assert analysis_size(1000, 333) == (320, 106)
