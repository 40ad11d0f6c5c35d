"""A Mux asset's ``video_quality`` (and the deprecated ``encoding_tier``) pick its tier."""

from __future__ import annotations

import pytest

from vidhost.providers.mux.asset_settings import options_of


@pytest.mark.parametrize(
    ("settings", "tier"),
    [
        ({}, "plus"),  # Mux's default
        ({"video_quality": "basic"}, "basic"),
        ({"video_quality": "premium"}, "premium"),
        ({"encoding_tier": "baseline"}, "basic"),
        ({"encoding_tier": "smart"}, "plus"),
        ({"encoding_tier": "premium"}, "premium"),
        ({"video_quality": "plus", "encoding_tier": "baseline"}, "plus"),  # the newer wins
    ],
)
def test_the_asset_settings_name_the_tier(settings: dict[str, str], tier: str) -> None:
    assert options_of(dict(settings))["video_quality"] == tier
