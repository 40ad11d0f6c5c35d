"""Mux's text tracks: their views and their input (issue 22, ADR 0068). No FastAPI: the
webhook format uses it; the routes are ``text_tracks.py``; the URL pull is the captions
feature's (``delivery/captions/pulls.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video
from vidhost.core.text_tracks import GENERATED, SUBTITLES, TextTrack

TEXT_SOURCES = {GENERATED: "generated_vod"}
"""vidhost's ``source`` -> Mux's ``text_source`` (``uploaded`` otherwise)."""


def text_track_view(track: TextTrack) -> dict[str, Any]:
    """A text track in Mux's shape (an asset's ``tracks[]``, the tracks API, webhooks)."""
    view: dict[str, Any] = {
        "type": "text",
        "id": track.id,
        "text_type": track.text_type,
        "text_source": TEXT_SOURCES.get(track.source, "uploaded"),
        "language_code": track.language,
        "name": track.name,
        "closed_captions": track.closed_captions,
        "passthrough": track.passthrough,
        "status": track.status,
    }
    if track.error_code:
        view["error"] = {"type": track.error_code, "messages": [track.error or track.error_code]}
    return {k: v for k, v in view.items() if v is not None}


def event_track_view(asset_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """A ``text_track`` event's data as Mux's webhook ``data`` (the track and its asset)."""
    view: dict[str, Any] = {
        "type": "text",
        "id": data["id"],
        "text_type": SUBTITLES,
        "text_source": "generated_vod" if data.get("generated") else "uploaded",
        "language_code": data["language"],
        "name": data["name"],
        "closed_captions": data["closed_captions"],
        "passthrough": data.get("passthrough"),
        "status": "deleted" if data["change"] == "deleted" else data["status"],
        "asset_id": asset_id,
    }
    return {k: v for k, v in view.items() if v is not None}


class TrackInput(BaseModel):
    """A text track to add (``POST .../tracks``, or a text ``input`` at creation)."""

    model_config = ConfigDict(extra="ignore")

    url: str = Field(max_length=2048)
    type: str = "text"
    text_type: str = SUBTITLES
    language_code: str = Field(max_length=35)
    name: str | None = Field(default=None, max_length=128)
    closed_captions: bool = False
    passthrough: str | None = Field(default=None, max_length=255)


def check_input(track: TrackInput) -> TrackInput:
    if track.type != "text":
        raise InvalidInput("only text tracks can be added (type: text)", code="invalid_request")
    if track.text_type != SUBTITLES:
        raise InvalidInput("text_type must be subtitles", code="invalid_request")
    return track


def add_track(container: Container, video: Video, track: TrackInput) -> TextTrack:
    """A text track pulled from ``track.url`` (``preparing`` now)."""
    check_input(track)
    return container.caption_pulls.add(
        video,
        track.url,
        language=track.language_code,
        name=track.name,
        closed_captions=track.closed_captions,
        passthrough=track.passthrough,
    )
