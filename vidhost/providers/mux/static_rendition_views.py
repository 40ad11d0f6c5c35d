"""Mux's static renditions in Mux's shapes, and the settings that ask for them (ADR 0065):
no routes here (the service and the webhook format use it in workers too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vidhost.core.errors import InvalidInput
from vidhost.core.static_renditions import (
    AUDIO_ONLY,
    HIGHEST,
    MP4_SUPPORT,
    MUX_HEIGHTS,
    ORIGIN_API,
    ORIGIN_MP4_SUPPORT,
    SKIPPED,
    StaticRendition,
    overall_status,
)

RESOLUTIONS = (HIGHEST, AUDIO_ONLY, *MUX_HEIGHTS)
"""What ``static_renditions[].resolution`` may be (Mux's list)."""


class StaticRenditionSetting(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resolution: str
    passthrough: str | None = Field(default=None, max_length=255)


class UpdateMp4Support(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mp4_support: str


def mp4_specs(value: str | None) -> tuple[str, ...]:
    """The specs an ``mp4_support`` value asks for (400 for a value Mux does not know)."""
    if value is None:
        return ()
    if value not in MP4_SUPPORT:
        raise InvalidInput(
            f"mp4_support must be one of {', '.join(MP4_SUPPORT)}", code="invalid_request"
        )
    return MP4_SUPPORT[value]


def resolution_of(value: str) -> str:
    if value not in RESOLUTIONS:
        raise InvalidInput(
            f"resolution must be one of {', '.join(RESOLUTIONS)}", code="invalid_request"
        )
    return value


def creation_specs(settings: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(spec, origin, passthrough)`` asked for by an asset's creation settings; checked
    before anything is created."""
    specs: list[tuple[str, str, str | None]] = [
        (s, ORIGIN_MP4_SUPPORT, None) for s in mp4_specs(settings.get("mp4_support"))
    ]
    for item in settings.get("static_renditions") or []:
        entry = StaticRenditionSetting.model_validate(item)
        specs.append((resolution_of(entry.resolution), ORIGIN_API, entry.passthrough))
    return specs


def _tier(height: int | None, audio: bool) -> str | None:
    if audio:
        return "audio-only"
    if not height:
        return None
    return next(
        (t for t, h in (("720p", 720), ("1080p", 1080), ("1440p", 1440)) if height <= h), "2160p"
    )


def file_view(record: StaticRendition, asset_id: str | None = None) -> dict[str, Any]:
    """One file of ``static_renditions.files`` (and the static rendition API's object)."""
    audio = record.ext == "m4a"
    view: dict[str, Any] = {
        "id": record.id,
        "type": "standard",
        "name": record.name,
        "ext": record.ext,
        "status": record.status,
        "resolution": record.spec if record.spec in RESOLUTIONS else None,
        "resolution_tier": _tier(record.height, audio) if record.rung else None,
        "height": None if audio else record.height,
        "width": None if audio else record.width,
        "bitrate": record.bitrate,
        "filesize": str(record.size_bytes) if record.size_bytes is not None else None,
        "passthrough": record.passthrough,
        "asset_id": asset_id,
    }
    return {k: v for k, v in view.items() if v is not None}


def static_renditions_view(records: list[StaticRendition]) -> dict[str, Any] | None:
    """The asset's ``static_renditions`` (None when nothing was asked for). Files the
    deprecated ``mp4_support`` could not make are left out, as Mux does; a resolution asked
    for explicitly shows ``skipped``."""
    if not records:
        return None
    shown = [r for r in records if not (r.origin == ORIGIN_MP4_SUPPORT and r.status == SKIPPED)]
    return {"status": overall_status(records), "files": [file_view(r) for r in shown]}
