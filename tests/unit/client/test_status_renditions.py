"""``vidhost status``: a rendition's line (ADR 0045), from a recorded ``GET /api/videos/{id}``."""

from __future__ import annotations

from vidhost.client.commands import rendition_line

MEASURED = {
    "name": "360p", "width": 640, "height": 360, "bitrate": 896000, "codec": "avc1.64001e",
    "averageBitrate": 933992, "peakBitrate": 1055400, "measured": True,
    "vmaf": {"mean": 60.912, "p5": 53.4},
}  # fmt: skip


def test_a_measured_rendition_shows_its_rates_and_vmaf() -> None:
    assert rendition_line(MEASURED) == (
        "640x360  avc1.64001e  avg 934 kb/s  peak 1055 kb/s (measured)  VMAF 60.9 (p5 53.4)"
    )


def test_before_the_measurements_the_planned_rates_and_no_vmaf() -> None:
    planned = {**MEASURED, "measured": False, "vmaf": None}
    assert rendition_line(planned).endswith("(planned)  VMAF -")
