"""Colour statistics over decoded frames: per-channel histograms and the average colour.

Everything here is vectorised NumPy over whole frame arrays (``H x W x 3`` uint8, channel order
B, G, R as produced by ``frame.to_ndarray(format="bgr24")``); nothing loops over pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

CHANNELS = ("b", "g", "r")
BINS = 256

_OFFSETS = np.array([0, BINS, 2 * BINS], dtype=np.intp)


def channel_counts(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Pixel counts per value for each channel of one ``H x W x 3`` frame: shape ``(3, 256)``.

    One ``np.bincount`` over the flattened frame, each channel shifted into its own 256-bin
    block, so the work is a single pass in C whatever the frame size.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 frame, got {frame.shape} {frame.dtype}")
    shifted = frame.reshape(-1, 3).astype(np.intp) + _OFFSETS
    counts = np.bincount(shifted.ravel(), minlength=3 * BINS)
    return counts.reshape(3, BINS).astype(np.int64)


def normalise(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Each channel's counts divided by its total, so every row sums to 1 (zeros stay zeros)."""
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    out = np.zeros(counts.shape, dtype=np.float64)
    np.divide(counts, totals, out=out, where=totals > 0)
    return out


def mean_values(histograms: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The mean value per channel of normalised ``(3, 256)`` histograms."""
    return histograms @ np.arange(BINS, dtype=np.float64)


@dataclass
class ColorAccumulator:
    """Adds up channel counts over many frames; frames of different sizes weigh by pixels."""

    counts: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros((3, BINS), dtype=np.int64)
    )
    frames: int = 0

    def add(self, frame: npt.NDArray[np.uint8]) -> None:
        self.counts += channel_counts(frame)
        self.frames += 1

    def profile(self) -> dict[str, object]:
        """The metadata ``color_profile``: normalised histograms and the average colour."""
        hist = normalise(self.counts)
        means = mean_values(hist)
        return {
            "histograms": {name: hist[i].tolist() for i, name in enumerate(CHANNELS)},
            "average_color": {name: round(float(means[i])) for i, name in enumerate(CHANNELS)},
        }
