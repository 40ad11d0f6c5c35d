"""Which rung a static rendition is made from (ADR 0065): Mux's legacy names as far as the
ladder allows, the highest, a named height, the audio; and the overall status."""

from __future__ import annotations

import pytest

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Rendition
from vidhost.core.static_renditions import (
    ERRORED,
    PREPARING,
    READY,
    SKIPPED,
    StaticRendition,
    check_spec,
    name_of,
    overall_status,
    part_rung,
    rung_for,
    rung_part,
)


def ladder(*heights: int) -> list[Rendition]:
    return [Rendition(f"{h}p", h * 16 // 9 // 2 * 2, h, h * 4000, f"{h}p.m3u8") for h in heights]


def picked(spec: str, heights: tuple[int, ...], audio: bool = True) -> str | None:
    rung = rung_for(spec, ladder(*heights), audio)
    return rung if isinstance(rung, str) or rung is None else rung.name


def test_legacy_standard_names_three_distinct_rungs_as_far_as_the_ladder_goes() -> None:
    full = (1080, 720, 480, 360, 240)
    assert [picked(s, full) for s in ("high", "medium", "low")] == ["1080p", "480p", "360p"]
    assert [picked(s, (240, 144)) for s in ("high", "medium", "low")] == ["240p", "144p", None]
    assert [picked(s, (240,)) for s in ("high", "medium", "low")] == ["240p", None, None]


def test_highest_capped_and_named_heights() -> None:
    assert picked("highest", (1440, 1080, 720)) == "1440p"
    assert picked("capped-1080p", (1440, 1080, 720)) == "1080p"
    assert picked("default", (720, 360)) == "720p"
    assert picked("360p", (720, 360)) == "360p"
    assert picked("1080p", (720, 360)) is None  # skipped (Mux) or refused (vidhost)


def test_audio_only_needs_an_audio_rendition() -> None:
    assert picked("audio-only", (720,)) == "audio"
    assert picked("audio-only", (720,), audio=False) is None
    assert name_of("audio-only") == "audio.m4a" and name_of("high") == "high.mp4"


def test_a_rungs_task_part_is_its_height() -> None:
    assert (rung_part("720p"), rung_part("audio")) == (720, 0)
    assert (part_rung(720), part_rung(0)) == ("720p", "audio")


def test_unknown_specs_are_refused_with_a_code() -> None:
    assert check_spec("144p") == "144p"
    for bad in ("4k", "p", "0p", "../x", "highest.mp4"):
        with pytest.raises(InvalidInput) as err:
            check_spec(bad)
        assert err.value.code == "unknown_rendition"


def test_overall_status() -> None:
    def rec(status: str) -> StaticRendition:
        return StaticRendition("i", "v", "high.mp4", "high", status=status)

    assert overall_status([]) == "disabled"
    assert overall_status([rec(READY), rec(PREPARING)]) == "preparing"
    assert overall_status([rec(READY), rec(SKIPPED)]) == "ready"
    assert overall_status([rec(READY), rec(ERRORED)]) == "errored"
