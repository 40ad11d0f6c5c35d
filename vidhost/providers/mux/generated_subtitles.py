"""Mux's generated subtitles on vidhost's one generation service (issue 22, ADR 0069).

- ``generated_subtitles: [{language_code, name, passthrough}]`` on the video input of
  ``POST /video/v1/assets`` (``input[]``) and of an upload's ``new_asset_settings.input``:
  a ``preparing`` generated text track each, recognized once the asset is ready;
- ``POST /video/v1/assets/{id}/tracks/{audio_track_id}/generate-subtitles`` with
  ``{"generated_subtitles": [...]}``: the same for a ready asset; answers the tracks.

The tracks are Mux text tracks with ``text_source: generated_vod``; one language is
recognized once per asset (a second request answers the track there is).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import NotFound
from vidhost.core.models import Video
from vidhost.core.text_tracks import TextTrack
from vidhost.http.deps import ContainerDep
from vidhost.providers.mux.auth import MuxOwner
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.text_track_views import text_track_view

router = APIRouter(route_class=MuxRoute, tags=["mux"])

MAX_LANGUAGES = 10


class GeneratedSubtitle(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language_code: str = Field(default="en", max_length=35)
    name: str | None = Field(default=None, max_length=128)
    passthrough: str | None = Field(default=None, max_length=255)


class GenerateSubtitles(BaseModel):
    model_config = ConfigDict(extra="ignore")

    generated_subtitles: list[GeneratedSubtitle] = Field(min_length=1, max_length=MAX_LANGUAGES)


def check(container: Container, items: list[GeneratedSubtitle] | None) -> list[GeneratedSubtitle]:
    """Every language checked before anything is made (400 ``unsupported_language``)."""
    for item in items or []:
        container.caption_generation.check(item.language_code)
    return list(items or [])


def request(container: Container, video: Video, items: list[GeneratedSubtitle]) -> list[TextTrack]:
    return [
        container.caption_generation.request(
            video, item.language_code, name=item.name, passthrough=item.passthrough
        )
        for item in items
    ]


@router.post(
    "/video/v1/assets/{asset_id}/tracks/{track_id}/generate-subtitles",
    status_code=201,
    responses=MUX_ERRORS,
)
async def generate_subtitles(
    asset_id: str,
    track_id: str,
    body: GenerateSubtitles,
    owner: MuxOwner,
    container: ContainerDep,
) -> dict[str, Any]:
    """Subtitles generated from the asset's audio track (``{asset_id}-audio``)."""
    items = check(container, body.generated_subtitles)

    def run() -> list[dict[str, Any]]:
        video = container.mux.asset(asset_id, owner)
        if track_id != f"{video.id}-audio" or not video.audio_codec:
            raise NotFound("no such audio track of this asset", code="track_not_found")
        return [text_track_view(t) for t in request(container, video, items)]

    return {"data": await run_in_threadpool(run)}
