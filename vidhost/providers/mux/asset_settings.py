"""The asset settings of ``POST /video/v1/assets`` and an upload's ``new_asset_settings``:
each one checked before anything is created (400 naming it, or 409 ``original_not_kept``),
then given its effect on the new video (docs/providers.md lists what each does)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput
from vidhost.core.limits import KEEP_SECONDS_OPTION, MAX_RESOLUTION_OPTION, NORMALIZE_AUDIO_OPTION
from vidhost.core.models import Video
from vidhost.core.quality import BASIC, PLUS, PREMIUM, VIDEO_QUALITY_OPTION
from vidhost.providers.mux.asset_edits import Meta
from vidhost.providers.mux.master_access import TEMPORARY
from vidhost.providers.mux.views import VIDEO_QUALITY

ENCODING_TIERS = ("baseline", "smart", "premium")
TIER_OF_ENCODING_TIER = {"baseline": BASIC, "smart": PLUS, "premium": PREMIUM}
"""Mux's deprecated ``encoding_tier`` names for the ``video_quality`` tiers."""
RESOLUTION_TIERS = ("1080p", "1440p", "2160p")
DEFAULT_RESOLUTION_TIER = "1080p"


def _one_of(settings: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    value = settings.get(name)
    if value is not None and value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}", code="invalid_request")


def check(container: Container, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` if every one is valid and can take effect here."""
    for name in ("normalize_audio", "test"):
        if settings.get(name) is not None and not isinstance(settings[name], bool):
            raise InvalidInput(f"{name} must be true or false", code="invalid_request")
    container.mux_master.check(settings.get("master_access"))
    _one_of(settings, "video_quality", VIDEO_QUALITY)
    _one_of(settings, "encoding_tier", ENCODING_TIERS)
    _one_of(settings, "max_resolution_tier", RESOLUTION_TIERS)
    if settings.get("meta") is not None:
        try:
            settings["meta"] = Meta.model_validate(settings["meta"]).model_dump(exclude_none=True)
        except ValidationError as exc:
            problems = "; ".join(
                f"meta.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidInput(problems, code="invalid_request") from None
    return settings


def options_of(container: Container, settings: dict[str, Any]) -> dict[str, Any]:
    """The processing options checked ``settings`` give a new video (before its bytes):
    ``max_resolution_tier`` caps the ladder, ``test`` keeps the first 10 s of the source,
    ``normalize_audio`` normalises the audio's loudness (EBU R128; ADR 0094)."""
    options: dict[str, Any] = {}
    # Mux's default tier is 1080p: a Mux asset stops there unless it asks for more (and
    # the server's max_resolution allows it, vidhost.processing.handlers.ladder_heights).
    tier = settings.get("max_resolution_tier") or DEFAULT_RESOLUTION_TIER
    options[MAX_RESOLUTION_OPTION] = int(tier.removesuffix("p"))
    if settings.get("test"):
        options[KEEP_SECONDS_OPTION] = container.settings.mux_test_asset_seconds
    if settings.get("normalize_audio"):
        options[NORMALIZE_AUDIO_OPTION] = True
    # video_quality picks the ladder (ADR 0046): basic the fixed one, plus
    # content-aware, premium content-aware with a slower preset and a higher target
    quality = settings.get("video_quality") or TIER_OF_ENCODING_TIER.get(
        settings.get("encoding_tier") or "", container.settings.video_quality
    )
    options[VIDEO_QUALITY_OPTION] = quality
    return options


def apply(container: Container, video_id: str, settings: dict[str, Any]) -> Video:
    """Give checked ``settings`` their effect on the new (or pending) video."""
    video = container.videos.get(video_id)
    options = options_of(container, settings)
    if options and any(video.options.get(k) != v for k, v in options.items()):
        container.videos.update(video.id, options={**video.options, **options})
        video = container.videos.get(video_id)
    if settings.get("meta") is not None:
        mux = {**(video.metadata.get("mux") or {}), "meta": settings["meta"]}
        title = (settings["meta"].get("title") or video.title or "")[:500] or None  # shown
        container.videos.update(video.id, metadata={**video.metadata, "mux": mux}, title=title)
        video = container.videos.get(video_id)
    if settings.get("test") and video.delete_at is None:  # a test asset lives 24 h
        lifetime = timedelta(seconds=container.settings.mux_test_asset_lifetime)
        container.videos.update(video.id, delete_at=video.created_at + lifetime)
        video = container.videos.get(video_id)
    if settings.get("master_access") == TEMPORARY:
        video = container.mux_master.set(video, TEMPORARY)
    return video
