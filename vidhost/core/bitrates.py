"""A stored rung's measured bit rates (RFC 8216 4.3.4.2, ADR 0045). Pure.

A segment's bit rate is its size over its ``#EXTINF`` duration; a media playlist's *average*
is every segment's bytes over the whole duration, its *peak* the largest segment bit rate.
A variant that carries a rendition group (vidhost's audio) adds the group's figures: the
largest sum any playable combination makes, and the group has one rendition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rates:
    """Bits per second of a media playlist (or of a variant: its playlists summed)."""

    average: int
    peak: int

    def __add__(self, other: Rates) -> Rates:
        return Rates(self.average + other.average, self.peak + other.peak)


def measure(durations: Sequence[float], sizes: Sequence[int]) -> Rates:
    """The rates of a media playlist whose segments last ``durations`` seconds and hold
    ``sizes`` bytes (init segments aside: a player fetches one once per switch). Rounded up,
    so a player never gets less than it needs."""
    if not durations or len(durations) != len(sizes):
        raise ValueError("one size per segment, at least one segment")
    if any(d <= 0 for d in durations) or any(s < 0 for s in sizes):
        raise ValueError("durations must be positive and sizes not negative")
    average = math.ceil(sum(sizes) * 8 / sum(durations))
    peak = max(
        math.ceil(size * 8 / seconds) for size, seconds in zip(sizes, durations, strict=True)
    )
    return Rates(average=average, peak=peak)
