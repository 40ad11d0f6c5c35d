from __future__ import annotations

import pytest

from vidhost.app.settings import Settings
from vidhost.media.ladder import DEFAULT_HEIGHTS, Rung, select_ladder, video_bitrate_for
from vidhost.processing.handlers import ladder_heights


def dims(ladder: list[Rung]) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in ladder]


def test_full_hd_landscape_gets_every_default_rung() -> None:
    assert dims(select_ladder(1920, 1080)) == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
        ("240p", 426, 240),
    ]


def test_portrait_phone_video_uses_short_side_as_rung_height() -> None:
    assert dims(select_ladder(1080, 1920)) == [
        ("1080p", 1080, 1920),
        ("720p", 720, 1280),
        ("480p", 480, 854),
        ("360p", 360, 640),
        ("240p", 240, 426),
    ]


def test_portrait_and_landscape_get_the_same_bitrates() -> None:
    landscape = select_ladder(1920, 1080)
    portrait = select_ladder(1080, 1920)
    assert [r.video_bitrate for r in landscape] == [r.video_bitrate for r in portrait]


def test_odd_source_size_gives_even_dimensions_without_upscaling() -> None:
    ladder = select_ladder(853, 481)
    assert dims(ladder) == [("480p", 852, 480), ("360p", 638, 360), ("240p", 426, 240)]
    for rung in ladder:
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        assert rung.width <= 853 and rung.height <= 481


def test_never_upscales_a_480p_source() -> None:
    assert [r.name for r in select_ladder(854, 480)] == ["480p", "360p", "240p"]
    assert [r.name for r in select_ladder(640, 480)] == ["480p", "360p", "240p"]


def test_source_smaller_than_every_rung_gets_one_rung_at_source_size() -> None:
    assert dims(select_ladder(160, 120)) == [("120p", 160, 120)]
    assert dims(select_ladder(161, 121)) == [("120p", 160, 120)]
    assert dims(select_ladder(90, 160)) == [("90p", 90, 160)]


def test_4k_source_tops_out_at_highest_default_rung() -> None:
    ladder = select_ladder(3840, 2160)
    assert ladder[0] == select_ladder(1920, 1080)[0]
    assert len(ladder) == len(DEFAULT_HEIGHTS)


def test_custom_heights_including_4k() -> None:
    ladder = select_ladder(3840, 2160, heights=(2160, 1440, 1080, 540))
    assert dims(ladder) == [
        ("2160p", 3840, 2160),
        ("1440p", 2560, 1440),
        ("1080p", 1920, 1080),
        ("540p", 960, 540),
    ]
    # H.264 needs fewer bits per pixel as frames grow: 16 and 8 Mb/s, not 4x and 1.8x 5 Mb/s
    assert [r.video_bitrate for r in ladder[:3]] == [16_000_000, 8_000_000, 5_000_000]


def test_the_server_ceiling_adds_the_tall_rungs_up_to_it() -> None:
    configured = [1080, 720, 480, 360, 240]
    assert ladder_heights(configured, 1080) == configured
    assert ladder_heights(configured, 1440) == [1440, *configured]
    assert ladder_heights(configured, 2160) == [2160, 1440, *configured]
    assert ladder_heights(configured, 720) == [720, 480, 360, 240]
    assert Settings(max_resolution="2160p").max_resolution == 2160  # type: ignore[arg-type]
    assert Settings().max_resolution == 1080


def test_heights_order_does_not_matter_and_highest_comes_first() -> None:
    assert select_ladder(1920, 1080, heights=(240, 720, 480)) == select_ladder(
        1920, 1080, heights=(720, 480, 240)
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(1920, 1080), (1080, 1920), (853, 481), (1440, 1080), (720, 576), (3840, 1600), (2, 2)],
)
def test_every_rung_is_even_and_keeps_aspect_ratio(width: int, height: int) -> None:
    for rung in select_ladder(width, height):
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        assert rung.width <= max(width, 2) and rung.height <= max(height, 2)
        assert abs(rung.width / rung.height - width / height) < 0.02


def test_bitrates_follow_reference_points() -> None:
    rates = {r.name: r for r in select_ladder(1920, 1080)}
    assert rates["1080p"].video_bitrate == 5_000_000
    assert rates["720p"].video_bitrate == 2_800_000
    assert rates["480p"].video_bitrate == pytest.approx(1_400_000, rel=0.01)
    assert rates["360p"].video_bitrate == 800_000
    assert rates["240p"].video_bitrate == pytest.approx(400_000, rel=0.01)


def test_bitrates_scale_with_pixel_count() -> None:
    # 4:3 1440x1080 has fewer pixels than 1920x1080 but more than 1280x720.
    assert 2_800_000 < video_bitrate_for(1440, 1080) < 5_000_000
    assert video_bitrate_for(160, 120) >= 100_000
    rates = [r.video_bitrate for r in select_ladder(1920, 1080)]
    assert rates == sorted(rates, reverse=True)


def test_maxrate_buffer_and_audio_rates() -> None:
    for rung in select_ladder(1920, 1080):
        assert rung.max_bitrate == round(rung.video_bitrate * 1.07)
        assert rung.buffer_size == round(rung.video_bitrate * 1.5)
        expected_audio = 96_000 if min(rung.width, rung.height) <= 360 else 128_000
        assert rung.audio_bitrate == expected_audio


def test_rejects_invalid_size() -> None:
    with pytest.raises(ValueError):
        select_ladder(0, 1080)
