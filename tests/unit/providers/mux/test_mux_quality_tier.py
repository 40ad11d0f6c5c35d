"""A Mux asset's ``video_quality`` (and the deprecated ``encoding_tier``) pick its tier."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from vidhost.app.settings import Settings
from vidhost.providers.mux.asset_settings import options_of


@pytest.mark.parametrize(
    ("settings", "tier"),
    [
        ({}, "basic"),  # the server's VIDHOST_VIDEO_QUALITY (ADR 0046, "Default")
        ({"video_quality": "basic"}, "basic"),
        ({"video_quality": "premium"}, "premium"),
        ({"encoding_tier": "baseline"}, "basic"),
        ({"encoding_tier": "smart"}, "plus"),
        ({"encoding_tier": "premium"}, "premium"),
        ({"video_quality": "plus", "encoding_tier": "baseline"}, "plus"),  # the newer wins
    ],
)
def test_the_asset_settings_name_the_tier(settings: dict[str, str], tier: str) -> None:
    container = cast(Any, SimpleNamespace(settings=Settings()))
    assert options_of(container, dict(settings))["video_quality"] == tier


def test_the_servers_default_tier_is_a_mux_assets_default() -> None:
    container = cast(Any, SimpleNamespace(settings=Settings(video_quality="plus")))
    assert options_of(container, {})["video_quality"] == "plus"
